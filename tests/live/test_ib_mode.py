"""`rbts live --mode ib` end to end against the fake TWS (tests/support/fake_tws.py), and without one.

With a gateway: the bot connects, loads the instrument, warms up from IB history, gets live
(keepUpToDate) bars, evaluates cycles and trades through the fake.  Without one it reports the
failure within seconds (state store and stderr), keeps retrying without hanging — `rbts stop`
still ends it — and connects once the gateway appears.

The bars are 30-second bars so that a cycle comes round quickly on the wall clock.
"""

from __future__ import annotations

import pandas as pd
import pytest
from livetest import ib_bars, rbts, start_ib, store_of, wait_for
from support.fake_tws import FakeTws, free_port

from rbts.runtime.live import control
from rbts.ui import live_model
from rbts.ui.live_data import read_frames
from rbts.runtime.settings import load_settings

STRATEGY = """strategy "ib smoke"
universe: AAPL
capital: 10000
bars: 30s
cycle: 30s
order: market
entry warm: ema(close, 5) > 0
"""
AHEAD = pd.Timedelta(minutes=10)  # the fake TWS's bars end this far ahead of now


@pytest.fixture
def home(ib_home):
    (ib_home.parent / "ib.rbts").write_text(STRATEGY)
    return ib_home


def received_bars(home) -> pd.DataFrame:
    import sqlite3

    with sqlite3.connect(home / "live" / "state.db") as db:
        return pd.read_sql("SELECT symbol, seconds, ts, open, high, low, close, volume FROM bars ORDER BY ts", db)


@pytest.mark.slow
def test_ib_bot_connects_warms_up_evaluates_and_trades(home, monkeypatch):
    sent = ib_bars(AHEAD)
    with FakeTws(sent, live_interval=1.0) as tws:
        start_ib(home, home.parent / "ib.rbts", tws.port, monkeypatch)
        wait_for(home, lambda s: s.count("cycles") >= 1 and s.positions(), timeout=90, what="a cycle and a position")
        received = received_bars(home)
        with store_of(home) as store:
            status = store.status()
            events = {e["kind"]: e["message"] for e in store.events()}
            running = next(e for e in store.events() if e["message"] == "running ib-smoke v1")
            fill = store.fills(1)[0]
        assert status["mode"] == "ib" and status["connected"] is True and not status["safe_mode"]
        assert status["strategy_version"] == "ib-smoke v1" and status["last_bar_ts"]
        assert events["warm_up"].startswith("warm-up: ") and "historical bars applied" in events["warm_up"]
        assert fill["symbol"] == "AAPL" and fill["side"] == "BUY"
        assert abs(running["ts"] / 1e9 - running["wall"]) < 5  # data time (the clock in IB mode): a chart mark
        history = tws.requests_named("reqHistoricalData")
        assert {f[20] for f in history} == {"0", "1"}  # a warm-up request and a keepUpToDate subscription
        assert [o.action for o in tws.orders.values()] == ["BUY"]
        stopped = rbts(home, "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    # the Live tab's candles: the bars IB sent, kept in the store (they are in no catalog)
    assert len(received) >= 1 and set(received["symbol"]) == {"AAPL"} and set(received["seconds"]) == {30}
    expected = sent["AAPL"].loc[pd.to_datetime(received["ts"], utc=True)]
    assert received[["open", "high", "low", "close", "volume"]].to_numpy() == pytest.approx(expected.to_numpy())
    with store_of(home) as store:
        assert store.status()["node_status"] == "stopped"


@pytest.mark.slow
def test_without_a_gateway_it_reports_retries_and_still_stops(home, monkeypatch):
    port = free_port()
    start_ib(home, home.parent / "ib.rbts", port, monkeypatch)
    status = wait_for(home, lambda s: s.status() if s.status().get("last_error") else None, timeout=30,
                      what="the failure in the store")
    assert f"cannot reach IB Gateway/TWS at 127.0.0.1:{port}" in status["last_error"]
    assert status["connected"] is False and status["node_status"] == "waiting for IB"
    with store_of(home) as store:
        assert any(e["kind"] == "connection" and e["level"] == "ERROR" for e in store.events())
    # still alive and retrying: a second attempt is reported, the heartbeat goes on
    wait_for(home, lambda s: "(attempt 2)" in (home / "live" / "bot.out").read_text(), timeout=30,
             what="a second attempt")
    assert "cannot reach IB Gateway/TWS" in (home / "live" / "bot.out").read_text()  # the bot's stderr
    assert control.bot_pid(load_settings(home))
    stopped = rbts(home, "stop", "--timeout", "10")
    assert stopped.returncode == 0 and stopped.stdout.startswith("stopped")  # SIGTERM was enough


@pytest.mark.slow
def test_the_bot_connects_when_the_gateway_comes_up(home, monkeypatch):
    port = free_port()
    start_ib(home, home.parent / "ib.rbts", port, monkeypatch)
    wait_for(home, lambda s: s.status().get("last_error"), timeout=30, what="the first failure")
    with FakeTws(ib_bars(AHEAD), live_interval=1.0, port=port):
        status = wait_for(home, lambda s: s.status() if s.status().get("connected") and s.status().get(
            "strategy_version") else None, timeout=60, what="the connection and the strategy running")
        assert status["strategy_version"] == "ib-smoke v1" and not status["safe_mode"]
        assert rbts(home, "stop").returncode == 0


@pytest.mark.slow
def test_safe_mode_keeps_marking_a_reconciled_position_and_orders_nothing(home, monkeypatch):
    """An invalid strategy at start: safe mode, yet the position IB reports is subscribed and marked."""
    bad = home.parent / "bad.rbts"
    bad.write_text('strategy "bad"\nuniverse: AAPL\nentry x: close >\n')
    with FakeTws(ib_bars(AHEAD), live_interval=0.5) as tws:
        tws.positions["AAPL"] = (10.0, 170.0)
        start_ib(home, bad, tws.port, monkeypatch)
        position = wait_for(home, lambda s: next((p for p in s.positions() if p["unrealized_pnl"]), None),
                            timeout=60, what="the reconciled position, marked")
        with store_of(home) as store:
            status = store.status()
        assert status["safe_mode"] and "bad.rbts:3:17: error" in status["safe_reason"]
        assert (position["symbol"], position["qty"], position["avg_px"]) == ("AAPL", 10.0, 170.0)
        assert status["last_bar_ts"]  # live bars arrive for it
        assert position["unrealized_pnl"] == pytest.approx(10.0 * (tws.prices["AAPL"] - 170.0), abs=50.0)
        assert any(f[20] == "1" and f[11] == "AAPL" for f in tws.requests_named("reqHistoricalData"))
        assert tws.requests_named("placeOrder") == []
        assert rbts(home, "stop").returncode == 0


@pytest.mark.slow
def test_the_bot_reconnects_after_a_gateway_restart(home, monkeypatch):
    """IB's nightly restart: the connection drops, the gateway comes back on the same port, bars resume."""
    port = free_port()
    with FakeTws(ib_bars(AHEAD), live_interval=1.0, port=port):
        start_ib(home, home.parent / "ib.rbts", port, monkeypatch)
        # a first cycle recorded before the drop: the Live tab's equity chart starts at the first cycle, so a
        # disconnection before it has no place on the chart (the marks below were missing the lost one then)
        before = wait_for(home, lambda s: s.status().get("last_bar_ts") if s.status().get("connected")
                          and s.equity(1) else None, timeout=90, what="connected with live bars and a first cycle")
    wait_for(home, lambda s: s.status().get("connected") is False, timeout=30, what="the disconnection noticed")
    with FakeTws(ib_bars(AHEAD), live_interval=1.0, port=port) as tws:
        wait_for(home, lambda s: s.status().get("connected") and (s.status().get("last_bar_ts") or 0) > before,
                 timeout=60, what="reconnected, live bars again")
        assert any(f[20] == "1" for f in tws.requests_named("reqHistoricalData"))  # resubscribed
        with store_of(home) as store:
            events = [e for e in reversed(store.events()) if e["kind"] == "connection"]
        connection = [(e["level"], e["message"]) for e in events]
        assert connection == [("WARNING", "connection to IB lost; reconnecting"),
                              ("INFO", "connection to IB restored; subscriptions renewed")]
        # data time (the clock in IB mode), so the Live tab's equity chart marks both
        assert all(e["ts"] is not None and abs(e["ts"] / 1e9 - e["wall"]) < 5 for e in events)
        marks = live_model.equity_marks(read_frames(home / "live" / "state.db"))
        assert [ts for ts, kind in zip(marks["ts"], marks["kind"], strict=True) if kind == "connection"] \
            == [e["ts"] for e in events]
        assert rbts(home, "stop").returncode == 0


def test_ib_settings_errors_come_before_any_waiting(tmp_path, monkeypatch):
    monkeypatch.delenv("RBTS_IB_ACCOUNT", raising=False)
    monkeypatch.delenv("TWS_ACCOUNT", raising=False)
    monkeypatch.setenv("RBTS_IB_PORT", str(free_port()))
    result = rbts(tmp_path, "live", "--mode", "ib")
    assert result.returncode == 1 and "IB account not set" in result.stderr
    with store_of(tmp_path) as store:
        assert store.status()["node_status"] == "stopped"


HOLD = STRATEGY.replace('strategy "ib smoke"', 'strategy "ib hold"')
EXIT = HOLD + "exit out: close > 0\n"


@pytest.mark.slow
def test_positions_open_at_the_broker_across_a_crash_are_the_strategys_again(home, monkeypatch):
    """kill -9 with a position open at IB; `rbts restart` reconciles it into the bot's strategy (not
    Nautilus' EXTERNAL one): no second entry, and the exit rule of the next version sells it."""
    import os
    import signal

    (home.parent / "hold.rbts").write_text(HOLD)
    (home.parent / "exit.rbts").write_text(EXIT)
    settings = load_settings(home)
    with FakeTws(ib_bars(AHEAD), live_interval=1.0) as tws:
        start_ib(home, home.parent / "hold.rbts", tws.port, monkeypatch)
        wait_for(home, lambda s: s.positions(), timeout=90, what="run 1 holding AAPL")
        assert tws.wait_for(lambda: tws.positions.get("AAPL", (0, 0))[0] > 0)
        os.kill(control.bot_state(settings).pid, signal.SIGKILL)
        wait_for(home, lambda _s: control.bot_state(settings).state == "died", what="run 1 dead")
        qty, cost = tws.positions["AAPL"]

        restarted = rbts(home, "restart")
        assert restarted.returncode == 0, restarted.stderr
        status = wait_for(home, lambda s: s.status() if s.status().get("run") == 2 and s.status().get(
            "strategy_version") == "ib-hold v1" else None, timeout=90, what="run 2 running v1")
        position = wait_for(home, lambda s: s.positions(), timeout=60, what="the reconciled position")[0]
        with store_of(home) as store:
            events = [e["message"] for e in store.events(50) if e["kind"] == "run"]
        assert status["resumed_from"] == 1 and any("positions and orders reconcile with IB" in m for m in events)
        assert (position["symbol"], position["qty"]) == ("AAPL", qty)
        assert position["avg_px"] == pytest.approx(cost, abs=0.01)

        applied = rbts(home, "apply", str(home.parent / "exit.rbts"))
        assert applied.returncode == 0, applied.stderr
        assert tws.wait_for(lambda: [o.action for o in tws.orders.values()] == ["BUY", "SELL"], timeout=90)
        assert tws.wait_for(lambda: tws.positions["AAPL"][0] == 0, timeout=30)
        wait_for(home, lambda s: not s.positions(), timeout=60, what="flat in the store")
        assert rbts(home, "stop").returncode == 0
