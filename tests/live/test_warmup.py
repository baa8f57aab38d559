"""Warm-up: the history the live strategy requests (the sessions a backtest would load before its
start) is enough for every rule to be warm at its first live cycle (the intraday examples on the
demo data), and it is applied in time order."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from rbts.compiler.incremental import incremental
from rbts.compiler.lowering import lower
from rbts.compiler.protocol import RuleState
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.live import program
from rbts.compiler.warmup import warmup_sessions
from rbts.runtime.live.warmup import WarmUp, history_start_ns
from rbts.runtime.settings import load_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIRST_LIVE = "2025-03-20 09:30"  # history: the demo bars of the warm-up sessions before it


@pytest.mark.parametrize("name", ["vix_ema_cross", "hourly_breakout", "rsi_bollinger_reversion",
                                  "vwap_macd_intraday"])
def test_requested_history_warms_every_rule(name, small_demo_home):
    spec = program.load_file(EXAMPLES / f"{name}.rbts")
    graph = lower(spec.checked)
    evaluator = incremental(graph)
    base = spec.settings.bars_seconds
    first = history_start_ns(first_live_utc().date(), warmup_sessions(graph))
    store = BarStore(load_settings(small_demo_home))
    warm = WarmUp(requests=1)
    live = {}
    for symbol in spec.settings.symbols:
        frame = store.load_frame(symbol, end="2025-03-28")
        history = frame[(frame.index.as_unit("ns").asi8 > first) & (frame.index < first_live_utc())]
        assert len(history) < len(frame[frame.index < first_live_utc()])  # not simply everything
        for ts, *bar in history[["open", "high", "low", "close", "volume"]].itertuples():
            warm.add(symbol, base, int(ts.value), tuple(bar))
        today = frame[frame.index >= first_live_utc()].iloc[:120]
        live[symbol] = {int(ts.value): tuple(bar) for ts, *bar in
                        today[["open", "high", "low", "close", "volume"]].itertuples()}
    evaluated = []
    warm.apply(evaluator.on_bar, evaluator.is_cycle, lambda ts: evaluated.append(evaluator.evaluate(ts)), base)
    assert evaluated and all(a.ts_ns < b.ts_ns for a, b in itertools.pairwise(evaluated))
    # the live bars up to the first live cycle, then that cycle: nothing is warming any more
    instants = sorted({ts for bars in live.values() for ts in bars})
    for ts in instants:
        for symbol, bars in live.items():
            if ts in bars:
                evaluator.on_bar(symbol, base, ts, *bars[ts])
        if evaluator.is_cycle(ts) and _time_of(ts) >= "10:30":  # time-of-day rules aside, an hour into the day
            result = evaluator.evaluate(ts)
            break
    states = list(result.global_rules.values()) + [s for rules in (result.entry_rules, result.exit_rules)
                                                   for per in rules.values() for s in per.values()]
    assert states and RuleState.WARMING not in states, name


def first_live_utc():
    import pandas as pd

    return pd.Timestamp(FIRST_LIVE, tz="America/New_York").tz_convert("UTC")


def _time_of(ts: int) -> str:
    import pandas as pd

    return pd.Timestamp(ts, tz="UTC").tz_convert("America/New_York").strftime("%H:%M")


def test_daily_rules_ask_for_their_days():
    spec = program.load_file(EXAMPLES / "daily_trend_swing.rbts")
    assert warmup_sessions(lower(spec.checked)) >= 30  # sma(close, 30, 1d)
    assert history_start_ns("2025-03-20", 3) == 1742184000000000000  # 2025-03-17 00:00 New York


def test_history_is_applied_in_time_order_with_cycles_after_each_instant():
    calls = []
    warm = WarmUp(requests=2)
    for ts in (180, 60, 120):
        warm.add("B", 60, ts, (1.0, 1.0, 1.0, 1.0, 1.0))
        warm.add("A", 60, ts, (1.0, 1.0, 1.0, 1.0, 1.0))
    warm.apply(lambda sym, tf, ts, *bar: calls.append(("bar", ts)), lambda ts: ts % 120 == 0,
               lambda ts: calls.append(("cycle", ts)), 60)
    assert calls == [("bar", 60), ("bar", 60), ("bar", 120), ("bar", 120), ("cycle", 120), ("bar", 180),
                     ("bar", 180)]
    assert warm.done and warm.last == {("A", 60): 180, ("B", 60): 180}
