"""A backtest starting mid-history is warmed up like its trace, and trades only from start."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.bt_data import PARITY_STRATEGY as STRATEGY

from rbts.compiler import vector
from rbts.compiler.program import compile_strategy
from rbts.compiler.warmup import warmup_range
from rbts.dsl.checker import check_text
from rbts.runtime.backtest.runner import run_backtest
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.settings import load_settings

START, END = "2025-03-10", "2025-03-14"


@pytest.fixture(scope="module")
def run(small_demo_home):
    return run_backtest(STRATEGY, START, END, home=small_demo_home)


def test_results_start_at_start_with_warm_rules(run, small_demo_home):
    first = run.equity.index[0].tz_convert("America/New_York")
    assert first.date().isoformat() == START
    assert run.equity["equity"].iloc[0] == pytest.approx(10_000)
    assert (run.trades["entry_ts"] >= pd.Timestamp(START, tz="America/New_York")).all()


def test_trades_agree_with_the_warmed_trace(run, small_demo_home):
    program = compile_strategy(check_text(STRATEGY))
    load_from, trade_from = warmup_range(program, START)
    frames = BarStore(load_settings(small_demo_home)).load_frames(program.settings.symbols, load_from, END)
    trace = vector.evaluate(program.graph, frames)
    cycles = pd.DatetimeIndex(pd.to_datetime(trace.cycles, unit="ns", utc=True))
    shown = cycles >= trade_from
    assert cycles[shown].equals(run.equity.index)
    ok = np.all([trace.rule_states(n, None) == vector.TRUE for n in ("market_hours", "vix_not_rising")], axis=0)
    assert not (trace.rule_states("bull_cross", "AAPL")[shown] == vector.WARMING).any()
    for symbol in program.settings.universe:
        enter = ok & (trace.rule_states("bull_cross", symbol) == vector.TRUE)
        for t in run.trades[run.trades["symbol"] == symbol].itertuples():
            assert enter[cycles.get_loc(t.entry_ts)]
