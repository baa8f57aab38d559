"""The Live tab against a pre-filled state store (Streamlit AppTest), and its view models."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from rbts.compiler.protocol import CycleResult, RuleState
from rbts.runtime.live.monitor import _cycle_rows
from rbts.runtime.live.store import StateStore
from rbts.runtime.live import status_view as live_view

TS = 1_741_617_300_000_000_000  # 2025-03-10 10:35 New York


def fill_store(home) -> None:
    store = StateStore(home / "live" / "state.db")
    store.set_status(node_status="stopped", mode="replay", connected=False, strategy_name="VIX-calm EMA cross",
                     strategy_version="vix-calm-ema-cross v3", safe_mode=False, equity=10_123.45, cash=5_000.0,
                     day_pnl=-12.5, realized_pnl=100.0, unrealized_pnl=23.45, last_cycle_ts=TS)
    store.replace_positions([{"symbol": "AAPL", "instrument_id": "AAPL.RBTS", "side": "LONG", "qty": 20.0,
                              "avg_px": 180.0, "unrealized_pnl": 23.45, "realized_pnl": 0.0}])
    store.upsert_orders([{"client_order_id": "O-1", "symbol": "MSFT", "side": "BUY", "type": "LIMIT", "qty": 5.0,
                          "price": 400.2, "status": "ACCEPTED", "filled_qty": 0.0, "avg_px": None,
                          "strategy_version": "vix-calm-ema-cross v3", "ts_init": 1}])
    store.add_fills([{"ts": TS, "client_order_id": "O-0", "symbol": "AAPL", "side": "BUY", "qty": 20.0,
                      "price": 180.0, "trade_id": "T-1", "strategy_version": "vix-calm-ema-cross v3"}])
    result = CycleResult(TS, {"vix_calm": RuleState.FALSE}, {"AAPL": {"bull_cross": RuleState.TRUE}},
                         {"AAPL": {"bear_cross": RuleState.FALSE}}, {"AAPL": {"ema(close, 9, 5m)": 181.25}})
    store.add_cycle(TS, _cycle_rows(result), "vix-calm-ema-cross v3")
    store.add_equity(TS, 10_123.45, 5_000.0)
    store.log_event("max_daily_loss reached", level="WARNING", kind="max_daily_loss")
    store.close()


def _app(home):
    def script(home_dir: str) -> None:
        from rbts.runtime.settings import load_settings
        from rbts.ui.live_tab import render_live_tab

        render_live_tab(load_settings(home_dir))

    return AppTest.from_function(script, args=(str(home),), default_timeout=30)


def test_live_tab_shows_the_store(tmp_path):
    home = tmp_path / "home"
    fill_store(home)
    at = _app(home).run()
    assert not at.exception
    assert "bot not running" in at.info[0].value
    assert any("last state the bot wrote" in c.value for c in at.caption)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Equity"] == "10,123.45" and metrics["Day PnL"] == "-12.50"
    tables = [df.value for df in at.dataframe]
    rules = next(t for t in tables if "entry" in t.columns)
    assert rules.iloc[0]["symbol"] == "AAPL" and rules.iloc[0]["entry"] == "blocked by: vix_calm"
    orders = next(t for t in tables if "version" in t.columns)
    assert orders["symbol"].tolist() == ["MSFT"]
    assert "max_daily_loss reached" in at.code[0].value
    assert at.button(key="live_stop_btn").disabled and not at.button(key="live_start_btn").disabled
    assert at.button(key="live_flatten_btn").disabled


def test_live_tab_on_an_empty_home(tmp_path):
    at = _app(tmp_path / "empty").run()
    assert not at.exception
    assert "bot not running" in at.info[0].value
    assert not any("last state the bot wrote" in c.value for c in at.caption)


def test_view_models():
    snap = {"running": True, "pid": 42, "stale": False,
            "status": {"mode": "ib", "connected": True, "safe_mode": True, "safe_reason": "no active strategy"},
            "cycle": {"": {"rules": {"g": "true"}}, "AAPL": {"rules": {"e": "warming"}, "values": {"x": None},
                                                           "blocked_by": ["e"], "ts": TS}}}
    assert live_view.banner(snap) == "bot running (pid 42) | mode ib | connected | SAFE MODE: no active strategy"
    assert live_view.health(snap) == "warning"
    row = live_view.rules_table(snap).iloc[0]
    assert row["entry"] == "blocked by: e" and row["values"] == "x=warming" and "g=true" in row["rules"]
    assert live_view.format_ts(TS) == "2025-03-10 10:35 EDT"
    assert live_view.health({"running": False}) == "idle"
    assert live_view.health({"running": False, "status": {"node_status": "killed"}}) == "error"
    feeds = {"running": True, "pid": 1, "status": {"mode": "ib", "connected": True, "strategy_version": "x v1",
                                                   "feed_warnings": {"MSFT": "2025-03-11 09:40 EDT"}}}
    assert live_view.banner(feeds) == ("bot running (pid 1) | mode ib | connected | "
                                       "FEED SILENT: MSFT since 2025-03-11 09:40 EDT | strategy x v1")
    assert live_view.health(feeds) == "warning"


def test_exit_only_positions_are_shown_so():
    """Positions the running version holds but does not trade (issue #16 defect 3)."""
    snap = {"running": True, "pid": 1,
            "status": {"mode": "replay", "connected": True, "strategy_version": "x v2", "exit_only": ["AAPL"]},
            "positions": [{"symbol": "AAPL", "qty": 50.0, "avg_px": 100.0, "unrealized_pnl": -300.0, "exit_only": True},
                          {"symbol": "MSFT", "qty": 25.0, "avg_px": 200.0, "unrealized_pnl": 0.0, "exit_only": False}],
            "cycle": {"AAPL": {"rules": {"always": "true"}, "blocked_by": [], "ts": TS},
                      "MSFT": {"rules": {"always": "true"}, "blocked_by": [], "ts": TS}}}
    assert live_view.banner(snap).endswith("| strategy x v2 | EXIT-ONLY: AAPL")
    assert live_view.positions_table(snap)["managed"].tolist() == ["exit-only", ""]
    assert live_view.rules_table(snap)["entry"].tolist() == ["exit-only: no entries", "allowed"]
