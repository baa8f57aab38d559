"""End to end on the demo catalog: the real compiler, `rbts backtest`, files, trace parity."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support.bt_data import PARITY_STRATEGY as STRATEGY

from rbts.compiler import vector
from rbts.compiler.lowering import lower
from rbts.dsl.checker import check_text
from rbts.dsl.errors import RbtsError
from rbts.runtime.backtest.metrics import METRIC_KEYS
from rbts.runtime.backtest.runner import run_backtest, run_settings
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.settings import load_settings

START, END = "2025-03-03", "2025-03-14"


@pytest.fixture(scope="module")
def run(small_demo_home):
    return run_backtest(STRATEGY, START, END, home=small_demo_home)


def test_backtest_and_vectorised_trace_agree(run, small_demo_home):
    checked = check_text(STRATEGY)
    frames = BarStore(load_settings(small_demo_home)).load_frames(checked.settings.symbols, START, END)
    trace = vector.evaluate(lower(checked), frames)
    cycles = pd.DatetimeIndex(pd.to_datetime(trace.cycles, unit="ns", utc=True))
    assert cycles.equals(run.equity.index)  # the same cycles

    globals_ok = np.all([trace.rule_states(n, None) == vector.TRUE for n in ("market_hours", "vix_not_rising")], axis=0)
    trades = run.trades
    assert len(trades) >= 10
    for symbol in checked.settings.universe:
        enter = globals_ok & (trace.rule_states("bull_cross", symbol) == vector.TRUE)
        exit_ = trace.rule_states("bear_cross", symbol) == vector.TRUE
        mine = trades[trades["symbol"] == symbol]
        entries = set(mine["entry_ts"])
        for t in mine.itertuples():  # every entry/exit happens where the trace allowed it
            assert enter[cycles.get_loc(t.entry_ts)]
            if pd.notna(t.exit_ts):
                assert t.exit_rule == "bear_cross" and exit_[cycles.get_loc(t.exit_ts)]
        for i in np.flatnonzero(enter):  # every allowed entry while flat produced an order
            now = cycles[i]
            held = ((mine["entry_ts"] < now) & (mine["exit_ts"].isna() | (mine["exit_ts"] >= now))).any()
            assert held or now in entries, f"{symbol} {now}: rules said enter, no order"


def test_files_of_spec_section_3(run, tmp_path):
    out = run.write(tmp_path / "out")
    metrics = json.loads((out / "metrics.json").read_text())
    assert list(metrics) == [*METRIC_KEYS, "warnings"]
    equity = pd.read_csv(out / "equity.csv")
    assert list(equity.columns) == ["ts", "equity", "cash"] and len(equity) == len(run.equity)
    assert pd.Timestamp(equity["ts"][0]).tzinfo is not None
    trades = pd.read_csv(out / "trades.csv")
    assert list(trades.columns) == ["symbol", "entry_ts", "entry_price", "exit_ts", "exit_price", "qty", "pnl",
                                    "entry_rule", "exit_rule"]
    closed = trades[trades["exit_ts"].notna()]
    assert metrics["trades"] == len(closed)
    assert metrics["final_equity"] == pytest.approx(equity["equity"].iloc[-1])
    # realised pnl of closed trades + the open one marked at the last close = the change in equity
    assert trades["pnl"].sum() == pytest.approx(metrics["final_equity"] - metrics["initial_capital"], abs=1e-6)
    fills = pd.read_csv(out / "fills.csv")
    assert len(fills) == len(closed) * 2 + (len(trades) - len(closed))
    assert {"symbol", "order_side", "last_qty", "last_px"} <= set(fills.columns)
    assert len(pd.read_csv(out / "orders.csv")) == len(fills)
    config = json.loads((out / "config.json").read_text())
    assert config["strategy"]["rbts"] == 1 and config["run"]["start"] == START


def test_capital_and_symbols_override(small_demo_home):
    result = run_backtest(STRATEGY, START, "2025-03-05", capital=50_000, symbols=["amd"], home=small_demo_home)
    assert result.metrics["initial_capital"] == 50_000
    assert set(result.trades["symbol"]) <= {"AMD"} and result.settings.universe == ("AMD",)


@pytest.mark.parametrize(("args", "message"), [
    (("2025-03-10", "2025-03-03"), "before --start"),
    (("2025-3-1x", "2025-03-03"), "YYYY-MM-DD"),
    (("2024-01-01", "2024-01-31"), "no AAPL bars"),
])
def test_bad_runs_fail_clearly(small_demo_home, args, message):
    with pytest.raises(RbtsError, match=message):
        run_backtest(STRATEGY, *args, home=small_demo_home)


def test_a_strategy_that_does_not_check_never_runs(small_demo_home):
    with pytest.raises(RbtsError, match="unknown"):
        run_backtest(STRATEGY.replace("ema(close, 9, 5m)", "emma(close, 9, 5m)"), START, END, home=small_demo_home)


@pytest.mark.slow
def test_cli_writes_the_files_and_prints_metrics(small_demo_home, tmp_path):
    path = tmp_path / "s.rbts"
    path.write_text(STRATEGY)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "rbts.runtime.cli.app", "--home", str(small_demo_home), "backtest", str(path),
         "--start", START, "--end", "2025-03-06", "--capital", "20000", "--out", str(out)],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "sharpe" in proc.stdout and "final_equity" in proc.stdout
    assert {p.name for p in out.iterdir()} >= {"metrics.json", "equity.csv", "trades.csv", "fills.csv",
                                               "orders.csv", "config.json"}
    assert json.loads((out / "metrics.json").read_text())["initial_capital"] == 20000

    bad = subprocess.run(
        [sys.executable, "-m", "rbts.runtime.cli.app", "--home", str(small_demo_home), "backtest", str(path),
         "--start", "2025-03-06", "--end", "2025-03-01"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1 and "error: --end 2025-03-01 is before --start" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_independent_pandas_resimulation_of_the_demo_run(run, small_demo_home):
    """Trace signals + a plain trade-on-close loop reproduce the Nautilus trades and final equity."""
    checked = check_text(STRATEGY)
    frames = BarStore(load_settings(small_demo_home)).load_frames(checked.settings.symbols, START, END)
    trace = vector.evaluate(lower(checked), frames)
    cycles = pd.DatetimeIndex(pd.to_datetime(trace.cycles, unit="ns", utc=True))
    universe = checked.settings.universe
    closes = pd.DataFrame({s: frames[s]["close"].reindex(cycles, method="ffill") for s in universe})
    ok = np.all([trace.rule_states(n, None) == vector.TRUE for n in ("market_hours", "vix_not_rising")], axis=0)
    enter = {s: ok & (trace.rule_states("bull_cross", s) == vector.TRUE) for s in universe}
    leave = {s: trace.rule_states("bear_cross", s) == vector.TRUE for s in universe}
    cash, held, trades = 10_000.0, {}, []
    for i, ts in enumerate(cycles):
        px = closes.iloc[i]
        equity = cash + sum(q * px[s] for s, (q, _, _) in held.items())
        flat = [s for s in universe if s not in held]
        for s in list(held):
            if leave[s][i]:
                q, t0, p0 = held.pop(s)
                cash += q * px[s]
                trades.append((s, t0, p0, ts, px[s], q))
        for s in flat:
            if enter[s][i]:
                q = min(int(equity / len(universe) / px[s] + 1e-9), int(cash / round(px[s] * 1.0005, 2) + 1e-9))
                if q >= 1:
                    held[s] = (q, ts, px[s])
                    cash -= q * px[s]
    final = cash + sum(q * closes.iloc[-1][s] for s, (q, _, _) in held.items())
    got = [(t.symbol, t.entry_ts, t.entry_price, t.exit_ts, t.exit_price, t.qty)
           for t in run.trades.itertuples() if pd.notna(t.exit_ts)]
    assert sorted(got, key=str) == sorted(trades, key=str)
    assert run.metrics["final_equity"] == pytest.approx(final, abs=1e-6)


def test_metrics_cover_the_days_with_bars(small_demo_home):
    weekend_start = run_backtest(STRATEGY, "2025-03-01", "2025-03-04", home=small_demo_home)  # a Saturday
    assert weekend_start.metrics["start"] == "2025-03-03" and weekend_start.metrics["end"] == "2025-03-04"
    assert not any("bars cover" in w for w in weekend_start.metrics["warnings"])
    early = run_backtest(STRATEGY, "2025-02-24", "2025-03-04", home=small_demo_home)  # no bars before 03-03
    assert early.metrics["start"] == "2025-03-03"
    assert "bars cover 2025-03-03 .. 2025-03-04 of the requested 2025-02-24 .. 2025-03-04" in early.metrics["warnings"]


def test_run_settings_overrides():
    settings = check_text((Path(__file__).resolve().parents[2] / "examples" / "vix_ema_cross.rbts").read_text()).settings
    changed = run_settings(settings, 5000, ["amd", " nvda", "AMD"])
    assert changed.capital == 5000 and changed.universe == ("AMD", "NVDA") and changed.data_symbols == ("VIX",)
    assert run_settings(settings, None, None) is settings
    with pytest.raises(RbtsError, match="capital must be between 1 and"):
        run_settings(settings, 0, None)
