"""`risk: broker_stop P%` in a real Nautilus backtest (SPEC §2.5): a GTC stop order at P% below the
average entry rests at the venue from the entry's fill; it fills inside a cycle at the stop price
when a bar's range reaches it, at the bar's open when the bar gapped below it; an exit by a rule
cancels it first; without the setting no stop order exists.  Prices hand-made, results hand-computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
from support.bt_data import frame_from_closes, session_index
from support.bt_evaluators import Scripted

from rbts.dsl.settings import ResolvedOrder, ResolvedSettings
from rbts.runtime.backtest.runner import simulate

DAYS = ["2025-03-03", "2025-03-04"]
INDEX = session_index(DAYS)
MARKET = ResolvedOrder("market", 0.0, None)


def at(day: str, hhmm: str) -> pd.Timestamp:
    return pd.Timestamp(f"{day} {hhmm}", tz="America/New_York").tz_convert("UTC")


def flat_100() -> pd.DataFrame:
    return frame_from_closes(INDEX, np.full(len(INDEX), 100.0))


def _set_bar(frame: pd.DataFrame, ts: pd.Timestamp, ohlc) -> None:
    frame.loc[ts, ["open", "high", "low", "close"]] = ohlc


def _run(frame, broker_stop=0.05, exit_rule=lambda ts, s: False, enter=lambda ts, s: True):
    settings = ResolvedSettings(name="t", universe=("AAA",), broker_stop=broker_stop, order=MARKET)
    return simulate(settings, Scripted(settings.universe, enter, exit_rule), {"AAA": frame})


def _stops(result) -> pd.DataFrame:
    orders = result.orders
    return orders[orders["type"] == "STOP_MARKET"]


def test_the_stop_rests_from_the_entry_and_fills_inside_the_cycle_at_its_price():
    frame = flat_100()
    _set_bar(frame, at(DAYS[0], "10:00"), [100.0, 100.02, 94.0, 100.0])  # dips through 95, closes at 100
    first_day_only = lambda ts, s: ts < at(DAYS[0], "12:00").value  # noqa: E731
    result = _run(frame, enter=first_day_only)
    trades = result.trades
    first = trades.iloc[0]
    assert (first["entry_ts"], first["entry_price"]) == (at(DAYS[0], "09:31"), 100.0)
    assert (first["exit_ts"], first["exit_price"], first["exit_rule"]) == (at(DAYS[0], "10:00"), 95.0, "broker_stop")
    stops = _stops(result)
    assert set(stops["time_in_force"]) == {"GTC"} and set(stops["side"]) == {"SELL"}
    assert (stops["trigger_price"].astype(float) == 95.0).all()  # 5% below the average entry of 100
    # the cycle at 10:00 enters again at that bar's close; its stop rests until the end
    assert (trades.iloc[1]["entry_ts"], trades.iloc[1]["entry_price"]) == (at(DAYS[0], "10:00"), 100.0)
    assert list(stops["status"]) == ["FILLED", "ACCEPTED"]
    # the Live tab's fill marker names the cause (rbts.runtime.strategy.decision); no cycle decided it
    from rbts.runtime.strategy import decision
    assert {decision.parse(t) for t in stops["tags"]} == {(None, "broker_stop")}


def test_a_bar_that_gaps_below_the_stop_fills_it_at_its_open():
    frame = flat_100()
    gap = at(DAYS[1], "09:31")
    frame.loc[gap:, ["open", "high", "low", "close"]] = 90.0
    _set_bar(frame, gap, [90.0, 90.5, 89.5, 90.2])  # the night's gap: opens at 90, below the stop at 95
    result = _run(frame, enter=lambda ts, s: ts < at(DAYS[0], "12:00").value)
    trade = result.trades.iloc[0]
    assert (trade["exit_ts"], trade["exit_price"], trade["exit_rule"]) == (gap, 90.0, "broker_stop")


def test_an_exit_rule_cancels_the_stop_first_and_it_never_fills_afterwards():
    frame = flat_100()
    crash = at(DAYS[0], "11:00")
    frame.loc[crash:, ["open", "high", "low", "close"]] = 80.0  # far below the stop, after the exit
    exit_at = at(DAYS[0], "10:30").value
    result = _run(frame, enter=lambda ts, s: ts < exit_at, exit_rule=lambda ts, s: ts == exit_at)
    trades = result.trades
    assert len(trades) == 1
    trade = trades.iloc[0]
    assert (trade["exit_ts"], trade["exit_price"], trade["exit_rule"]) == (at(DAYS[0], "10:30"), 100.0, "scripted_exit")
    assert list(_stops(result)["status"]) == ["CANCELED"]
    assert result.fills["order_side"].tolist() == ["BUY", "SELL"]  # nothing sold twice


def test_without_the_setting_there_is_no_stop_order():
    frame = flat_100()
    _set_bar(frame, at(DAYS[0], "10:00"), [100.0, 100.02, 94.0, 100.0])
    result = _run(frame, broker_stop=None)
    assert _stops(result).empty and result.trades["exit_ts"].isna().all()
