"""No look-ahead: evaluating on data truncated at a cycle t gives the same values up to t."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.compiler_cases import KITCHEN_SINK, nasty_frames, program

from rbts.compiler.incremental import IncrementalProgram
from rbts.compiler.replay import run_incremental
from rbts.compiler.vector import evaluate, frame_ts

PROG = program(KITCHEN_SINK, universe="AAA, BBB", header="cycle: 5m")
FRAMES = nasty_frames(("AAA", "BBB", "VIX"))
FULL = evaluate(PROG.graph, FRAMES)


def truncated(t: int) -> dict:
    return {s: f[frame_ts(f) <= t] for s, f in FRAMES.items()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=len(FULL.cycles) - 1))
def test_truncated_history_gives_the_same_past(i):
    t = int(FULL.cycles[i])
    part = evaluate(PROG.graph, truncated(t))
    assert part.cycles.tolist() == FULL.cycles[: i + 1].tolist()
    for node in PROG.graph.nodes:
        if node.is_series:
            a, b = FULL.values(node.id)[: i + 1], part.values(node.id)
            assert np.array_equal(a, b, equal_nan=True), node.describe()
        else:
            assert np.array_equal(FULL.states[node.id][: i + 1], part.states[node.id]), node.describe()


@settings(max_examples=5, deadline=None)
@given(st.integers(min_value=0, max_value=len(FULL.cycles) - 1))
def test_incremental_result_at_t_ignores_later_bars(i):
    t = int(FULL.cycles[i])
    s = PROG.settings
    short = run_incremental(IncrementalProgram(PROG.graph), truncated(t), s.symbols, s.bars_seconds)
    assert short[-1].ts_ns == t
    assert short[-1].values == _nth(i).values and short[-1].entry_rules == _nth(i).entry_rules


_FULL_INC: list = []


def _nth(i):
    if not _FULL_INC:
        s = PROG.settings
        _FULL_INC.extend(run_incremental(IncrementalProgram(PROG.graph), FRAMES, s.symbols, s.bars_seconds))
    return _FULL_INC[i]
