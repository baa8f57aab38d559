"""Replay and backtest make the same decisions (docs/live.md), shown end to end, and the store's
per-cycle marks are the cycle's own (issue #16 defect 5).

A replay bot runs a strategy that trades often over five demo sessions at x10000; `rbts backtest`
runs it over the same sessions.  The bot's fills (symbol, time, side, quantity, price) are the
backtest's trades, its final equity the backtest's, and every cycle record in the store carries
the equity and cash of the backtest's ``equity.csv`` at that cycle, and the day's PnL from the
previous session's last cycle.  (The store used to write the equity of the 0.5 s flush into every
cycle of that flush: 4,614 rows with 25 distinct values at x10000.)
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from livetest import rbts, stop_bot, store_of, wait_for

from rbts.runtime.backtest.runner import run_backtest

STRATEGY = """strategy "parity"
universe: AAPL, MSFT, NVDA
capital: 10000
cycle: 5m
order: limit 0.05% ttl 10m
let fast = ema(close, 3, 5m)
let slow = ema(close, 8, 5m)
entry up: fast crosses_above slow
exit down: fast crosses_below slow
"""
FIRST, LAST = "2025-03-10", "2025-03-14"


@pytest.fixture(scope="module")
def replayed(small_demo_home, tmp_path_factory):
    """(home, run folder of `rbts backtest`) after a replay bot ran the strategy over FIRST..LAST."""
    root = tmp_path_factory.mktemp("parity")
    home = root / "home"
    shutil.copytree(small_demo_home, home)
    strategy = root / "parity.rbts"
    strategy.write_text(STRATEGY)
    out = root / "backtest"
    run_backtest(strategy, FIRST, LAST, home=home).write(out)
    last_cycle = int(pd.Timestamp(pd.read_csv(out / "equity.csv")["ts"].iloc[-1]).value)
    started = rbts(home, "live", str(strategy), "--start", FIRST, "--end", f"{LAST} 23:59", "--speed", "10000",
                   "--detach")
    assert started.returncode == 0, started.stderr
    try:
        wait_for(home, lambda s: (s.equity(1)[-1:] or [{}])[0].get("ts") == last_cycle, timeout=300,
                 what="the replay's last cycle in the store")
    finally:
        stop_bot(home)
    return home, out


def backtest_fills(out) -> list[tuple]:
    trades = pd.read_csv(out / "trades.csv")
    rows = []
    for t in trades.itertuples():
        rows.append((pd.Timestamp(t.entry_ts).value, t.symbol, "BUY", float(t.qty), round(t.entry_price, 6)))
        if isinstance(t.exit_ts, str):
            rows.append((pd.Timestamp(t.exit_ts).value, t.symbol, "SELL", float(t.qty), round(t.exit_price, 6)))
    return sorted(rows)


@pytest.mark.slow
def test_replay_trades_like_the_backtest(replayed):
    home, out = replayed
    with store_of(home) as store:
        fills = sorted((f["ts"], f["symbol"], f["side"], f["qty"], round(f["price"], 6)) for f in store.fills(10_000))
        last = store.equity(1)[0]
    expected = backtest_fills(out)
    assert len(expected) >= 20  # a strategy that trades often
    assert fills == expected
    metrics = pd.read_json(out / "metrics.json", typ="series")
    assert last["equity"] == pytest.approx(metrics["final_equity"], abs=1e-6)


@pytest.mark.slow
def test_every_cycle_record_carries_its_own_equity_cash_and_day_pnl(replayed):
    home, out = replayed
    curve = pd.read_csv(out / "equity.csv")
    with store_of(home) as store:
        rows = pd.DataFrame(store.equity(100_000))
    assert rows["ts"].tolist() == [pd.Timestamp(t).value for t in curve["ts"]]
    assert rows["equity"].to_numpy() == pytest.approx(curve["equity"].to_numpy(), abs=1e-6)
    assert rows["cash"].to_numpy() == pytest.approx(curve["cash"].to_numpy(), abs=1e-6)
    assert rows["equity"].nunique() > len(rows) // 4  # a curve, not the value of a flush repeated
    # day PnL: equity minus the equity at the previous session's last cycle (the first day: its first)
    days = pd.to_datetime(curve["ts"], utc=True).dt.tz_convert("America/New_York").dt.date
    start = curve["equity"].groupby(days).last().shift(1)
    start.iloc[0] = curve["equity"].iloc[0]
    assert rows["day_pnl"].to_numpy() == pytest.approx((curve["equity"] - days.map(start)).to_numpy(), abs=1e-6)
    assert {tuple(sorted(p)) for p in rows["positions"]} >= {(), ("AAPL",)}  # each row says what it held


V2 = STRATEGY.replace("ema(close, 8, 5m)", "ema(close, 13, 5m)")


@pytest.mark.slow
def test_a_hot_apply_equals_two_chained_backtests(small_demo_home, tmp_path):
    """v1 replayed, v2 applied while it runs: the bot's fills and final equity are those of v1 backtested up
    to the swap's instant T and v2 backtested after it, starting with v1's cash and positions at T."""
    from support.chained import chained_backtest

    home = tmp_path / "home"
    shutil.copytree(small_demo_home, home)
    (tmp_path / "v1.rbts").write_text(STRATEGY)
    (tmp_path / "v2.rbts").write_text(V2)
    started = rbts(home, "live", str(tmp_path / "v1.rbts"), "--start", FIRST, "--end", f"{LAST} 23:59",
                   "--speed", "3000", "--detach")
    assert started.returncode == 0, started.stderr
    try:
        third_day = int(pd.Timestamp("2025-03-12 10:00", tz="America/New_York").value)
        wait_for(home, lambda s: (s.status().get("last_cycle_ts") or 0) >= third_day, timeout=300,
                 what="the replay in its third session")
        applied = rbts(home, "apply", str(tmp_path / "v2.rbts"))
        assert applied.returncode == 0 and "bot: applied parity v2" in applied.stdout, applied.stderr
        with store_of(home) as store:
            swap = next(e for e in store.events(200) if e["kind"] == "apply" and e["message"] == "running parity v2")
        split = swap["ts"]
        last_ts = int(pd.Timestamp(f"{LAST} 16:00", tz="America/New_York").value)
        assert split < last_ts - 3600 * 10**9, "the apply landed at the end of the replay: slow it down"
        wait_for(home, lambda s: (s.equity(1)[-1:] or [{}])[0].get("ts") == last_ts, timeout=300,
                 what="the replay's last cycle")
    finally:
        stop_bot(home)

    chained = chained_backtest(home, STRATEGY, V2, FIRST, split, LAST)
    with store_of(home) as store:
        fills = sorted((f["ts"], f["symbol"], f["side"], f["qty"], round(f["price"], 6)) for f in store.fills(10_000))
        rows = pd.DataFrame(store.equity(100_000))
    expected = chained.fills()
    assert any(f[0] > split for f in expected) and any(f[0] <= split for f in expected)
    assert fills == expected
    # both halves of the curve: v1's equity up to T, then v2's own equity (its capital plus its PnL)
    first, second = chained.first.equity, chained.second.equity
    before, after = rows[rows["ts"] <= split], rows[rows["ts"] > split]
    assert before["ts"].tolist() == [t.value for t in first.index]
    assert before["equity"].to_numpy() == pytest.approx(first["equity"].to_numpy(), abs=1e-6)
    assert after["ts"].tolist() == [t.value for t in second.index]
    assert after["strategy_equity"].to_numpy() == pytest.approx(second["equity"].to_numpy(), abs=1e-6)


@pytest.mark.slow
def test_the_store_keeps_the_bars_the_replay_played(replayed):
    """The Live tab's candles are the bars the bot received (the store's ``bars``, written by the monitor;
    an IB bot's are in no catalog): in a replay, the catalog's base bars, each once."""
    import sqlite3

    from rbts.runtime.data.catalog import BarStore
    from rbts.runtime.settings import load_settings

    home, _ = replayed
    with sqlite3.connect(home / "live" / "state.db") as db:
        rows = db.execute("SELECT ts, open, high, low, close, volume FROM bars WHERE symbol = 'AAPL' AND seconds = 60 "
                          "ORDER BY ts").fetchall()
        timeframes = {r[0] for r in db.execute("SELECT DISTINCT seconds FROM bars")}
    stored = pd.DataFrame(rows, columns=["ts", "open", "high", "low", "close", "volume"]).set_index("ts")
    catalog = BarStore(load_settings(home)).load_frame("AAPL", FIRST, LAST)
    played = catalog[(catalog.index.as_unit("ns").asi8 >= stored.index[0]) &
                     (catalog.index.as_unit("ns").asi8 <= stored.index[-1])]
    assert min(timeframes) == 60  # the base bars (the candles' timeframe)
    assert stored.index.tolist() == played.index.as_unit("ns").asi8.tolist()
    assert stored.to_numpy() == pytest.approx(played[stored.columns].to_numpy())
    assert len(stored) > 4 * 390  # most of the five sessions
