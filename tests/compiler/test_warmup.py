"""Warm-up prefix: a trace over [start, end] is ready at start when history exists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rbts.compiler.program import compile_strategy
from rbts.compiler.trace import trace_strategy
from rbts.compiler.warmup import warmup_range, warmup_sessions, warmup_start
from rbts.dsl.checker import check_text
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.settings import load_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def program(text: str):
    return compile_strategy(check_text(text))


def test_sessions_grow_with_lookback() -> None:
    short = program("universe: AAPL\nentry: close > ema(close, 9, 5m)\n")
    daily = program("universe: AAPL\nentry: close > sma(close, 20, 1d)\n")
    window = program("universe: AAPL\nentry: change(sma(close, 20, 1d), 10 bars) > 0\n")
    assert warmup_sessions(short.graph) == 2
    assert warmup_sessions(daily.graph) == 23  # 21 daily bars + the partial + one spare
    assert warmup_sessions(window.graph) > warmup_sessions(daily.graph) + 10


def test_warmup_start_counts_exchange_sessions() -> None:
    # 2025-03-03 is a Monday: two sessions back is Thursday 2025-02-27.
    assert warmup_start("2025-03-03", 2) == "2025-02-27"
    # Around Good Friday 2025-04-18 (closed): two sessions before Monday 04-21 are 04-16, 04-17.
    assert warmup_start("2025-04-21", 2) == "2025-04-16"


def test_trace_with_prefix_is_ready_at_start_and_reports_only_the_range(small_demo_home) -> None:
    p = program((EXAMPLES / "vix_ema_cross.rbts").read_text())
    load_from, report_from = warmup_range(p, "2025-03-10")
    store = BarStore(load_settings(small_demo_home))
    frames = store.load_frames(p.settings.symbols, load_from, "2025-03-12")
    trace = trace_strategy(p, frames, "AAPL", start=report_from)
    first = trace.frame.iloc[0]
    assert first["ts"] >= pd.Timestamp("2025-03-10 09:30", tz="America/New_York")
    assert first["ts"].tz_convert("America/New_York").date().isoformat() == "2025-03-10"
    assert (trace.frame[["bull_cross", "bear_cross", "vix_calm"]] != "warming").all().all()
    # The reported rows are exactly the full evaluation's rows from start on.
    full = trace_strategy(p, frames, "AAPL")
    tail = full.frame[full.frame["ts"] >= report_from].reset_index(drop=True)
    pd.testing.assert_frame_equal(trace.frame, tail)
    assert np.array_equal(trace.codes["bull_cross"], full.codes["bull_cross"][trace.offset:])
    assert trace.explain("bull_cross", 0).state == full.explain("bull_cross", trace.offset).state
