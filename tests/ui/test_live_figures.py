"""The Live tab's charts: view models and figures from a state store written by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from support.live_store import SCOPES, STRATEGY, T0, states_at, ts_at, write_cycles

from rbts.runtime.live.store import StateStore
from rbts.ui import live_figures, live_model, theme
from rbts.ui.live_data import MAX_CYCLES, read_bars, read_frames, strategy_info, with_bars
from rbts.ui.rule_view import FALSE, TRUE, WARMING

WALL = pd.Timestamp("2026-12-04 20:30:08", tz="UTC").value  # a replay's orders carry the node's wall clock

@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "state.db"
    with StateStore(path) as store:
        write_cycles(store, 40)
        write_cycles(store, 20, version="figures v2", start=40)
        store.upsert_orders([
            {"client_order_id": "O-1", "symbol": "AAPL", "side": "BUY", "type": "LIMIT", "qty": 10.0, "price": 100.2,
             "status": "FILLED", "filled_qty": 10.0, "avg_px": 100.1, "strategy_version": "figures v1",
             "ts_init": WALL},
            {"client_order_id": "O-2", "symbol": "AAPL", "side": "SELL", "type": "MARKET", "qty": 10.0, "price": None,
             "status": "FILLED", "filled_qty": 10.0, "avg_px": 100.5, "strategy_version": "figures v1",
             "ts_init": WALL + 1},
            {"client_order_id": "O-3", "symbol": "AAPL", "side": "BUY", "type": "LIMIT", "qty": 9.0, "price": 100.3,
             "status": "ACCEPTED", "filled_qty": 0.0, "avg_px": None, "strategy_version": "figures v2",
             "ts_init": WALL + 2},
        ])
        store.add_fills([
            {"ts": ts_at(4), "client_order_id": "O-1", "symbol": "AAPL", "side": "BUY", "qty": 10.0, "price": 100.1,
             "trade_id": "T-1", "strategy_version": "figures v1"},
            {"ts": ts_at(6) + 1, "client_order_id": "O-2", "symbol": "AAPL", "side": "SELL", "qty": 10.0,
             "price": 100.5, "trade_id": "T-2", "strategy_version": "figures v1"},
        ])
        store.log_event("daily loss 2.1% reached max_daily_loss 2.00%", level="WARNING", kind="max_daily_loss",
                        ts=ts_at(50))
        store.log_event("running figures v2", kind="apply")  # wall time only: not a chart mark
    return path


@pytest.fixture
def frames(store_path):
    return read_frames(store_path, "AAPL", SCOPES)


def test_scopes_and_cycle_come_from_the_strategy_json():
    from rbts.dsl.checker import check_text
    from rbts.ui.persistence import export_json

    info = strategy_info(export_json(check_text(STRATEGY)).encode())
    assert info.scopes == SCOPES and info.cycle_seconds == 300
    assert strategy_info(b"{not json").scopes == {} and strategy_info(None).scopes == {}


def test_rule_strip_equals_the_stores_cyclestates_at(frames):
    views = live_model.rule_views(frames, "AAPL")
    assert [(v.scope, v.name) for v in views] == [("global", "market_hours"), ("entry", "up"), ("exit", "down")]
    codes = {"true": TRUE, "false": FALSE, "warming": WARMING}
    expected_up = [codes[states_at(i)[0]] for i in range(60)]
    assert views[1].states.tolist() == expected_up
    assert views[1].times[0] == pd.Timestamp(T0, tz="UTC") and len(views[1].times) == 60
    fig = live_figures.ticker_figure("AAPL", live_model.bars_of(frames, "AAPL"),
                                     live_model.indicator_lines(frames, "AAPL"),
                                     live_model.fill_notes(frames, "AAPL"), live_model.working_limits(frames, "AAPL"),
                                     views)
    bands = [t for t in fig.data if t.name == "true"]
    warming = [t for t in fig.data if t.name == "warming"]
    assert len(bands) == 3
    for view, band, warm in zip(views, bands, warming, strict=True):  # drawn by the Strategy tab's builder
        assert list(band.y) == (view.states == TRUE).astype(float).tolist()
        assert list(warm.y) == (view.states == WARMING).astype(float).tolist()


def test_fill_markers_sit_at_the_fill_prices_and_times_and_explain_the_decision(frames):
    notes = live_model.fill_notes(frames, "AAPL")
    # data time only: where the rules last became true for that side, at or before the fill (the limit
    # bought at cycle 4 was placed at 3, where up became true)
    assert notes["decided"].tolist() == [ts_at(3), ts_at(6)]
    buy, sell = notes["text"]
    assert "BUY 10 AAPL @ 100.10" in buy and "every global and entry rule true" in buy
    assert "market_hours = true" in buy and "up = true" in buy and "down" not in buy.split("<br>", 2)[2]
    assert "fast = ema(close, 3, 5m) = 100" in buy and "rsi(close, 14) = 53" in buy
    assert buy.count("ema(close, 3, 5m)") == 1  # a let and its call are one value
    assert "SELL 10 AAPL @ 100.50" in sell and "exit rule down true" in sell
    fig = live_figures.ticker_figure("AAPL", live_model.bars_of(frames, "AAPL"), {}, notes,
                                     live_model.working_limits(frames, "AAPL"), [])
    buys, sells = (next(t for t in fig.data if t.name == n) for n in ("buys", "sells"))
    assert list(buys.y) == [100.1] and list(sells.y) == [100.5]
    assert pd.Timestamp(buys.x[0]) == pd.Timestamp(ts_at(4), tz="UTC")
    assert pd.Timestamp(sells.x[0]) == pd.Timestamp(ts_at(6) + 1, tz="UTC")
    assert buys.hovertext[0] == buy


def test_an_orders_recorded_cycle_decides(frames):
    from dataclasses import replace

    orders = frames.orders.set_index("client_order_id")
    orders.loc["O-1", ["decided_ts", "reason"]] = [ts_at(1), "up"]
    orders.loc["O-2", ["decided_ts", "reason"]] = [WALL, "stop_loss"]  # a wall-clock stamp is never used
    notes = live_model.fill_notes(replace(frames, orders=orders.reset_index()), "AAPL")
    assert notes["decided"].tolist() == [ts_at(1), ts_at(6)]
    buy, sell = notes["text"]
    assert "every global and entry rule true (up)" in buy and "decided at the 09:40 cycle" in buy
    assert "cycle (figures v1): stop_loss" in sell


def test_working_limits_are_lines_at_their_price(frames):
    working = live_model.working_limits(frames, "AAPL")
    assert working["client_order_id"].tolist() == ["O-3"] and working["label"][0] == "BUY 9 limit 100.30"
    fig = live_figures.ticker_figure("AAPL", live_model.bars_of(frames, "AAPL"), {}, live_model.fill_notes(
        frames, "AAPL"), working, [])
    (line,) = [t for t in fig.data if t.hovertemplate and "working" in t.hovertemplate]
    assert list(line.y) == [100.3, 100.3]
    assert pd.Timestamp(line.x[0]) == pd.Timestamp(ts_at(57), tz="UTC")  # up became true at 57, still is


def test_indicator_lines_over_price_and_in_their_own_panel(frames):
    lines = live_model.indicator_lines(frames, "AAPL")
    assert list(lines) == ["fast = ema(close, 3, 5m)", "slow", "rsi(close, 14)"]  # a let and its call: one line
    assert np.isnan(lines["fast = ema(close, 3, 5m)"].iloc[0]) and lines["fast = ema(close, 3, 5m)"].iloc[10] == pytest.approx(100.1)
    closes = pd.Series([100.0, 100.5])
    assert live_model.on_price_scale(lines["slow"], closes)
    assert not live_model.on_price_scale(lines["rsi(close, 14)"], pd.Series([190.0]))


def test_a_let_that_names_another_call_after_an_apply_stays_one_line():
    index = live_model.to_times([ts_at(i) for i in range(4)])
    nan = float("nan")
    lines = {"slow": pd.Series([1.0, 2.0, 3.0, 4.0], index=index), "fast": pd.Series([5.0, 6.0, 7.0, 8.0], index=index),
             "ema(close, 8, 5m)": pd.Series([1.0, 2.0, nan, nan], index=index),
             "ema(close, 10, 5m)": pd.Series([nan, nan, 3.0, 4.0], index=index),
             "rsi(close, 14)": pd.Series([nan, 50.0, 60.0, 70.0], index=index)}
    merged = live_model._merge_equal(lines)
    assert list(merged) == ["slow = ema(close, 8, 5m) → ema(close, 10, 5m)", "fast", "rsi(close, 14)"]
    assert live_model.line_names(merged)["ema(close, 10, 5m)"] == "slow = ema(close, 8, 5m) → ema(close, 10, 5m)"


def test_equity_marks_the_version_change_and_the_breaker(frames):
    marks = live_model.equity_marks(frames)
    assert marks[["ts", "kind"]].values.tolist() == [[ts_at(40), "apply"], [ts_at(50), "breaker"]]
    assert marks["text"][0] == "figures v2 (was figures v1)"
    fig = live_figures.equity_figure(frames.equity, marks)
    assert fig.layout.template.layout.paper_bgcolor == theme.BACKGROUND
    apply = next(t for t in fig.data if t.name == "apply (new version)")
    assert list(apply.y) == [10_040.0]  # at the equity of that cycle
    assert len(fig.layout.shapes) == 2 * len(marks)  # a dotted line through both panels


def test_equity_marks_the_connection_and_errors_at_their_data_time(store_path):
    """The controller's connection and error events carry data time like its apply / safe mode events,
    and each kind has its own marker (they were not marked at all).  An IB clock's nanoseconds stay exact
    (the events' ts column was float: rounded by ~256 ns, the mark missed its event)."""
    lost = ts_at(20) + 123_456_789
    with StateStore(store_path) as store:
        store.log_event("connection to IB lost; reconnecting", level="WARNING", kind="connection", ts=lost)
        store.log_event("connection to IB restored; subscriptions renewed", kind="connection", ts=ts_at(22))
        store.log_event("strategy rejected, figures v2 keeps running: x.rbts:1:1: error: ...", level="ERROR",
                        kind="apply", ts=ts_at(45))
        store.log_event("internal error in the controller: KeyError: 'x'", level="ERROR", kind="error", ts=ts_at(55))
        store.log_event("apply rejected: y.rbts: error: no such file: y.rbts", level="ERROR", kind="apply")  # CLI, wall
    marks = live_model.equity_marks(read_frames(store_path, "AAPL", SCOPES))
    assert marks[["ts", "kind"]].values.tolist() == [
        [lost, "connection"], [ts_at(22), "connection"], [ts_at(40), "apply"], [ts_at(45), "error"],
        [ts_at(50), "breaker"], [ts_at(55), "error"]]
    assert marks["text"][1] == "connection to IB restored; subscriptions renewed"
    fig = live_figures.equity_figure(read_frames(store_path, "AAPL", SCOPES).equity, marks)
    connection = next(t for t in fig.data if t.name == live_figures.MARK_STYLE["connection"][2])
    errors = next(t for t in fig.data if t.name == live_figures.MARK_STYLE["error"][2])
    assert list(connection.y) == [10_020.0, 10_022.0] and list(errors.y) == [10_045.0, 10_055.0]
    assert list(errors.hovertext)[1].startswith("internal error in the controller")
    assert len(fig.layout.shapes) == 2 * len(marks)


def test_points_stay_bounded_however_long_the_bot_runs(tmp_path):
    path = tmp_path / "state.db"
    with StateStore(path) as store:
        write_cycles(store, 6_000)
    frames = read_frames(path, "AAPL", SCOPES)
    assert frames.cycles["ts"].nunique() == MAX_CYCLES  # the newest ones
    assert frames.cycles["ts"].max() == ts_at(5_999)
    views = live_model.rule_views(frames, "AAPL")
    fig = live_figures.ticker_figure("AAPL", live_model.bars_of(frames, "AAPL"),
                                     live_model.indicator_lines(frames, "AAPL"), live_model.fill_notes(frames, "AAPL"),
                                     live_model.working_limits(frames, "AAPL"), views)
    equity = live_figures.equity_figure(frames.equity, live_model.equity_marks(frames))
    for trace in [*fig.data, *equity.data]:
        assert len(trace.x) <= 3_000, trace.name


def test_per_day_equity_across_runs_by_hand():
    ny = lambda text: pd.Timestamp(text, tz="America/New_York").value  # noqa: E731
    equity = pd.DataFrame({
        "ts": [ny("2025-03-03 10:00"), ny("2025-03-03 16:00"), ny("2025-03-04 10:00"), ny("2025-03-04 11:00"),
               ny("2025-03-04 15:00"), ny("2025-03-05 16:00")],
        "equity": [10_010.0, 10_050.0, 10_020.0, 10_030.0, 10_040.0, 9_990.0],
        "day_pnl": [10.0, 50.0, -30.0, -20.0, -10.0, -50.0],
        "run": [1, 1, 1, 2, 2, 2]})
    daily = live_model.daily_equity(equity)
    assert [f"{d}" for d in daily["day"]] == ["2025-03-03", "2025-03-04", "2025-03-05"]
    assert daily["equity"].tolist() == [10_050.0, 10_040.0, 9_990.0]
    assert daily["day_pnl"].tolist() == [50.0, -10.0, -50.0] and daily["runs"].tolist() == ["1", "1, 2", "2"]
    runs = pd.DataFrame({"run": [1, 2], "mode": ["replay", "replay"], "end_state": [None, None]})
    starts = live_model.run_starts(equity, runs)
    assert starts.values.tolist() == [[ny("2025-03-04 11:00"), 2, "run 2 (replay) started; run 1 died"]]
    fig = live_figures.daily_figure(daily, starts)
    line, bars = fig.data
    assert list(line.x) == ["2025-03-03", "2025-03-04", "2025-03-05"] and list(bars.y) == [50.0, -10.0, -50.0]
    assert bars.marker.color == (theme.UP, theme.DOWN, theme.DOWN)
    assert len(fig.layout.shapes) == 2 and fig.layout.annotations[0].hovertext.startswith("run 2")


def test_day_pnl_where_the_store_has_none(tmp_path):
    """Rows without a recorded day PnL get equity minus the previous day's last equity (the first day: its first)."""
    path = tmp_path / "state.db"
    ny = lambda text: pd.Timestamp(text, tz="America/New_York").value  # noqa: E731
    with StateStore(path) as store:
        for ts, value in (("2025-03-03 10:00", 10_000.0), ("2025-03-03 16:00", 10_050.0),
                          ("2025-03-04 10:00", 10_020.0)):
            store.add_cycle(ny(ts), {"": {"rules": {}, "values": {}}}, "v1")
            store.add_equity(ny(ts), value, value)
    assert read_frames(path).equity["day_pnl"].tolist() == [0.0, 50.0, -30.0]


def test_charts_read_the_current_run_and_per_day_reads_them_all(tmp_path):
    from rbts.ui.live_data import read_daily

    path = tmp_path / "state.db"
    with StateStore(path) as store:
        first = store.begin_run("replay", {})
        write_cycles(store, 10)
        store.end_run(first, "stopped")
        store.begin_run("replay", {})
        write_cycles(store, 5, start=10)
    frames = read_frames(path, "AAPL", SCOPES)
    assert sorted(set(frames.cycles["ts"])) == [ts_at(i) for i in range(10, 15)]
    assert frames.equity["ts"].tolist() == [ts_at(i) for i in range(10, 15)]
    equity, runs = read_daily(path)
    assert equity["run"].tolist() == [1] * 10 + [2] * 5
    assert runs["end_state"][0] == "stopped" and pd.isna(runs["end_state"][1])
    starts = live_model.run_starts(equity, runs)
    assert starts.values.tolist() == [[ts_at(10), 2, "run 2 (replay) started; run 1 stopped"]]


def test_the_adapter_reads_each_orders_recorded_cycle_and_reason(store_path):
    with StateStore(store_path) as store:
        store.upsert_orders([{"client_order_id": "O-4", "symbol": "AAPL", "side": "SELL", "type": "MARKET",
                              "qty": 10.0, "price": None, "status": "FILLED", "filled_qty": 10.0, "avg_px": 100.0,
                              "strategy_version": "figures v2", "ts_init": WALL + 3, "decided_ts": ts_at(20),
                              "reason": "trailing_stop"}])
        store.add_fills([{"ts": ts_at(21), "client_order_id": "O-4", "symbol": "AAPL", "side": "SELL", "qty": 10.0,
                          "price": 100.0, "trade_id": "T-4", "strategy_version": "figures v2"}])
    notes = live_model.fill_notes(read_frames(store_path, "AAPL", SCOPES), "AAPL")
    last = notes.iloc[-1]
    assert last["decided"] == ts_at(20) and ": trailing_stop" in last["text"]


def test_candles_are_the_bars_the_bot_received_smallest_timeframe_within_the_cycles(store_path):
    """An IB bot's bars are in no catalog: the monitor keeps them in the store's ``bars`` table."""
    minute = 60 * 1_000_000_000
    with StateStore(store_path) as store:
        base = [("AAPL", 60, ts_at(0) + k * minute, 100.0 + k, 101.0 + k, 99.0 + k, 100.5 + k, 10.0 * k)
                for k in range(-90, 60 * 5 + 30)]  # from 90 min before the first cycle to past the last
        store.add_bars(base)
        store.add_bars([("AAPL", 300, ts_at(i), 1.0, 2.0, 0.5, 1.5, 9.0) for i in range(60)])  # a higher timeframe
        store.add_bars([("MSFT", 60, ts_at(3), 50.0, 51.0, 49.0, 50.5, 1.0)])
        store.add_bars([base[100][:3] + (7.0, 8.0, 6.0, 7.5, 1.0)])  # a bar sent again replaces itself
    frames = read_frames(store_path, "AAPL", SCOPES)
    bars = read_bars(store_path, "AAPL", frames)
    first, last = ts_at(0) - 3600 * 1_000_000_000, ts_at(59)
    assert bars.index[0].value == first and bars.index[-1].value == last  # an hour before, never past the last cycle
    assert len(bars) == (last - first) // minute + 1 and bars.index.is_monotonic_increasing
    k = (bars.index[0].value - ts_at(0)) // minute
    assert bars.iloc[0].tolist() == [100.0 + k, 101.0 + k, 99.0 + k, 100.5 + k, 10.0 * k]
    assert bars.loc[pd.Timestamp(base[100][2], tz="UTC")].tolist() == [7.0, 8.0, 6.0, 7.5, 1.0]
    fig = live_figures.ticker_figure("AAPL", live_model.bars_of(with_bars(frames, "AAPL", bars), "AAPL"),
                                     {}, live_model.fill_notes(frames, "AAPL"), live_model.working_limits(frames, "AAPL"),
                                     [], min_step=300)
    candles = fig.data[0]
    assert fig.layout.meta["bar_seconds"] == 300 and len(candles.x) == 60 + 12  # cycle candles from base bars


def test_a_store_without_bars_reads_none_and_the_table_stays_bounded(tmp_path):
    import sqlite3

    from rbts.runtime.live.store import Limits

    old = tmp_path / "old.db"
    with StateStore(old) as store:
        write_cycles(store, 3)
    with sqlite3.connect(old) as db:
        db.execute("DROP TABLE bars")  # a store from before the table
    assert read_bars(old, "AAPL", read_frames(old, "AAPL", SCOPES)).empty
    path = tmp_path / "state.db"
    with StateStore(path, limits=Limits(bars=100)) as store:
        store.add_bars([("AAPL", 60, k, 1.0, 1.0, 1.0, 1.0, 1.0) for k in range(250)])
        store.prune()
    with sqlite3.connect(path) as db:
        kept = [r[0] for r in db.execute("SELECT ts FROM bars ORDER BY ts")]
    assert kept == list(range(150, 250))  # the newest ones
