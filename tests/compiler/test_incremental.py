"""The incremental evaluator's contract: protocol methods, time handling, explanations."""

from __future__ import annotations

import pandas as pd
from support.compiler_cases import frame, program

from rbts.compiler.protocol import IncrementalEvaluator, RuleState


def ns(text):
    return pd.Timestamp(text, tz="America/New_York").as_unit("ns").value


def test_protocol_and_base_timeframe_only():
    prog = program("global g: VIX < 30\nentry e: ema(close, 3, 5m) > ema(close, 6, 15m)", universe="AAA, BBB",
                   header="cycle: 5m")
    inc = prog.incremental()
    assert all(callable(getattr(inc, m)) for m in ('bar_timeframes', 'is_cycle', 'on_bar', 'evaluate'))
    _typed: IncrementalEvaluator = inc  # noqa: F841 (static check of the protocol)
    assert inc.bar_timeframes() == {"AAA": (60,), "BBB": (60,), "VIX": (60,)}
    assert inc.is_cycle(ns("2025-03-04 09:35")) and not inc.is_cycle(ns("2025-03-04 09:36"))


def test_is_cycle_on_new_york_clock_for_long_cycles():
    prog = program("entry e: sma(close, 2, 4h) > 0", universe="AAA", header="cycle: 4h")
    inc = prog.incremental()
    assert inc.is_cycle(ns("2024-07-01 16:00")) and inc.is_cycle(ns("2024-12-02 16:00"))
    assert not inc.is_cycle(ns("2024-07-01 15:00"))


def test_bucket_closes_by_the_clock_and_late_bars_are_dropped():
    prog = program("entry e: sma(close, 1, 5m) > 0", universe="AAA, BBB", header="cycle: 1m")
    inc = prog.incremental()
    for minute, price in ((31, 10.0), (32, 11.0), (34, 12.0)):
        inc.on_bar("AAA", 60, ns(f"2025-03-04 09:{minute}"), price, price, price, price, 1.0)
    inc.on_bar("BBB", 60, ns("2025-03-04 09:35"), 1, 1, 1, 1, 1)
    result = inc.evaluate(ns("2025-03-04 09:35"))  # AAA has no 09:35 bar: its 5m bar still closed
    assert result.entry_rules["AAA"]["e"] is RuleState.TRUE
    assert result.values["AAA"]["sma(close, 1, 5m)"] == 12.0
    inc.on_bar("AAA", 60, ns("2025-03-04 09:35"), 99, 99, 99, 99, 1)  # after the cycle: too late
    assert inc.late_bars == 1
    inc.on_bar("AAA", 60, ns("2025-03-04 09:30"), 99, 99, 99, 99, 1)
    assert inc.late_bars == 2
    inc.on_bar("AAA", 300, ns("2025-03-04 09:40"), 99, 99, 99, 99, 1)  # other timeframes are ignored
    assert inc.evaluate(ns("2025-03-04 09:40")).values["AAA"]["sma(close, 1, 5m)"] == 12.0


def test_cycle_result_and_explanation():
    prog = program("let fast = sma(close, 2)\nglobal g: VIX < 20\nentry e: fast > 10 and close < 100\n"
                   "exit x: fast < 5", universe="AAA")
    inc = prog.incremental()
    bars = frame([("2025-03-04 09:31", 9), ("2025-03-04 09:32", 10)])
    vix = frame([("2025-03-04 09:31", 25), ("2025-03-04 09:32", 15)])
    results = []
    for i in range(2):
        ts = int(bars.index[i].as_unit("ns").value)
        inc.on_bar("AAA", 60, ts, *bars.iloc[i].tolist())
        inc.on_bar("VIX", 60, ts, *vix.iloc[i].tolist())
        results.append(inc.evaluate(ts))
    first, second = results
    assert first.entry_rules["AAA"]["e"] is RuleState.WARMING and first.values["AAA"]["fast"] is None
    assert second.global_rules == {"g": RuleState.TRUE}
    assert second.entry_rules["AAA"]["e"] is RuleState.FALSE and second.blocked_by("AAA") == ["e"]
    assert second.values["AAA"]["fast"] == 9.5 and second.exit_rule("AAA") is None
    why = inc.explain("e", "AAA")
    assert why.state == "false" and [f.text for f in why.failing()] == ["fast > 10"]
    assert why.failing()[0].values == {"fast": 9.5, "10": 10.0}
