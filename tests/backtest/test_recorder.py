"""RuleStrategy driven directly (as the live bot does): recorder hooks see every cycle and event."""

from __future__ import annotations

import pandas as pd
from support.bt_data import frame_from_closes, session_index
from support.bt_evaluators import Scripted

from rbts.dsl.settings import ResolvedSettings
from rbts.runtime.backtest.engine import build_engine
from rbts.runtime.strategy.instruments import sim_instrument
from rbts.runtime.strategy.recorder import CycleRecorder
from rbts.runtime.strategy.rule_strategy import RuleStrategy, RuleStrategyConfig


def test_hooks_receive_cycles_with_rule_states_and_events():
    index = session_index(["2025-03-03", "2025-03-04"])
    closes = [100.0] * 390 + [90.0] * 390  # a 10 % gap: max_daily_loss at the first cycle of day 2
    frames = {"AAA": frame_from_closes(index, closes), "VIX": frame_from_closes(index, [20.0] * 780)}
    settings = ResolvedSettings(name="t", universe=("AAA",), data_symbols=("VIX",), max_daily_loss=0.02,
                                cycle_seconds=300)
    instruments = {"AAA": sim_instrument("AAA"), "VIX": sim_instrument("VIX", data_only=True)}
    engine, total = build_engine(settings.capital, instruments, 60, frames)
    recorder = CycleRecorder(keep_results=True)
    cycles, events = [], []
    recorder.subscribe(on_cycle=cycles.append, on_event=events.append)
    strategy = RuleStrategy(
        RuleStrategyConfig(instrument_ids={s: str(i.id) for s, i in instruments.items()}),
        settings, Scripted(("AAA",), lambda ts, s: True, lambda ts, s: False, cycle_s=300, data_symbols=("VIX",)),
        recorder)
    engine.add_strategy(strategy)
    engine.run(end=index[-1] + pd.Timedelta("1min"))
    assert engine.get_result().iterations == total

    assert len(cycles) == len(recorder) == 2 * 78  # 5-minute cycles
    first = cycles[0]
    # 99 shares, not 100: the free-cash cap prices them at the limit (100.05)
    assert first.positions == {"AAA": 99.0} and first.cash == 100.0 and first.equity == 10_000.0
    assert first.result.entry_rules["AAA"]["scripted_entry"].allows
    assert len(recorder.results) == len(cycles)
    gap = pd.Timestamp("2025-03-04 09:35", tz="America/New_York").value
    assert [e.kind for e in events] == ["max_daily_loss"] and events[0].ts_ns == gap
    assert next(c for c in cycles if c.ts_ns == gap).positions == {}
    engine.dispose()
