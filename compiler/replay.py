"""Drive an incremental evaluator over frames the way ``RuleStrategy`` does.

Bars are fed in time order (same-instant bars in symbol order); after every bar
stamped T has been applied, ``evaluate(T)`` is called when T is a cycle instant.
Used by the parity tests and the benchmark, and handy for checking a live run.
"""

from __future__ import annotations

import numpy as np

from rbts.compiler.protocol import CycleResult, IncrementalEvaluator
from rbts.compiler.vector import FIELDS, frame_ts


def merged_bars(frames: dict, symbols) -> list[tuple]:
    """(ts, symbol, open, high, low, close, volume) of every bar, in time then symbol order."""
    rows: list[tuple] = []
    for sym in symbols:
        frame = frames.get(sym)
        if frame is None or len(frame) == 0:
            continue
        cols = [frame[f].to_numpy(dtype=np.float64).tolist() for f in FIELDS]
        ts = frame_ts(frame).tolist()
        rows.extend(zip(ts, [sym] * len(ts), *cols))
    order = {s: i for i, s in enumerate(symbols)}
    rows.sort(key=lambda r: (r[0], order[r[1]]))
    return rows


def run_incremental(evaluator: IncrementalEvaluator, frames: dict, symbols, base_s: int) -> list[CycleResult]:
    """Every cycle's result, in order."""
    results: list[CycleResult] = []
    current = None
    on_bar, is_cycle, evaluate = evaluator.on_bar, evaluator.is_cycle, evaluator.evaluate
    for ts, sym, o, h, l, c, v in merged_bars(frames, symbols):
        if ts != current:
            if current is not None and is_cycle(current):
                results.append(evaluate(current))
            current = ts
        on_bar(sym, base_s, ts, o, h, l, c, v)
    if current is not None and is_cycle(current):
        results.append(evaluate(current))
    return results
