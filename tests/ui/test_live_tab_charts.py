"""The Live tab's charts and its first-run offer (Streamlit AppTest, a store written by hand)."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest
from support.live_store import STRATEGY, write_cycles

from rbts.runtime.live import control
from rbts.runtime.live.store import StateStore
from rbts.runtime.settings import load_settings


def _app(home) -> AppTest:
    def script(home_dir: str) -> None:
        from rbts.runtime.settings import load_settings
        from rbts.ui.live_tab import render_live_tab

        render_live_tab(load_settings(home_dir))

    return AppTest.from_function(script, args=(str(home),), default_timeout=60)


def test_charts_are_drawn_from_the_store_in_the_theme(tmp_path):
    home = tmp_path / "home"
    settings = load_settings(home)
    control.apply_text(settings, STRATEGY, "figures.rbts", notify=False)
    with StateStore(home / "live" / "state.db") as store:
        store.set_status(node_status="stopped", mode="replay", strategy_version="figures v1")
        write_cycles(store, 30)
    at = _app(home).run()
    assert not at.exception, at.exception
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 2
    equity, ticker = charts
    for spec in charts:
        assert spec["layout"]["template"]["layout"]["paper_bgcolor"] == "#131722"  # rbts_dark
    assert [t["name"] for t in equity["data"]][:2] == ["equity", "day PnL"]
    assert ticker["layout"]["meta"]["symbol"] == "AAPL"
    names = [t.get("name") for t in ticker["data"]]
    assert {"fast = ema(close, 3, 5m)", "slow", "rsi(close, 14)", "true", "warming"} <= set(names)
    assert at.selectbox(key="live_chart_symbol").options == ["AAPL"]
    assert not [b for b in at.button if b.key == "live_start_with_btn"]  # a strategy is active


def test_a_fresh_home_offers_to_start_with_the_strategy_tabs_strategy(tmp_path, monkeypatch):
    home = tmp_path / "home"
    started = []
    monkeypatch.setattr(control, "start", lambda settings, mode, file, start, speed: started.append(
        (mode, file, start, speed)) or 4242)
    at = _app(home).run()
    assert not at.exception, at.exception
    offer = at.button(key="live_start_with_btn")
    assert offer.label == "Start with VIX-calm EMA cross"  # the reference strategy of a first visit
    offer.click().run()
    assert not at.exception, at.exception
    active = control.registry(load_settings(home)).active()
    assert active is not None and active[1].label == "vix-calm-ema-cross v1"
    assert started == [("replay", None, None, 600.0)]


def test_the_equity_chart_shows_every_day(tmp_path):
    home = tmp_path / "home"
    with StateStore(home / "live" / "state.db") as store:
        store.set_status(node_status="stopped", mode="replay", strategy_version="figures v1")
        write_cycles(store, 30)
    at = _app(home).run()
    at.segmented_control(key="live_equity_view").set_value("per day").run()
    assert not at.exception, at.exception
    equity = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [t["name"] for t in equity["data"]] == ["equity at the close", "day PnL"]
    assert equity["data"][0]["x"] == ["2025-03-03"]
