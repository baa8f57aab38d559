"""SPEC §2.5 risk rules and §2.4 order life inside a real Nautilus run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.bt_data import frame_from_closes, session_index
from support.bt_evaluators import Scripted

from rbts.dsl.errors import RbtsError
from rbts.dsl.settings import ResolvedOrder, ResolvedSettings
from rbts.runtime.backtest.runner import simulate

DAYS = ["2025-03-03", "2025-03-04", "2025-03-05"]
INDEX = session_index(DAYS)
NY = "America/New_York"


def at(day: str, hhmm: str) -> pd.Timestamp:
    return pd.Timestamp(f"{day} {hhmm}", tz=NY).tz_convert("UTC")


def always(ts, symbol):
    return True


def never(ts, symbol):
    return False


def crash_frames(symbols=("AAA", "BBB"), crash_at=None, drop=0.05, volume=1e6):
    crash_at = crash_at or at(DAYS[1], "10:00")
    closes = np.where(INDEX >= crash_at, 100.0 * (1 - drop), 100.0)
    closes = np.where(INDEX >= at(DAYS[2], "09:31"), 100.0, closes)  # recovers the next day
    return {s: frame_from_closes(INDEX, closes, volume=volume) for s in symbols}


def test_crash_day_triggers_max_daily_loss_flat_within_the_cycle_until_next_session():
    settings = ResolvedSettings(name="t", universe=("AAA", "BBB"), max_daily_loss=0.02)
    result = simulate(settings, Scripted(settings.universe, always, never), crash_frames())
    crash = at(DAYS[1], "10:00")

    events = [e for e in result.events if e.kind == "max_daily_loss"]
    assert len(events) == 1 and events[0].ts_ns == crash.value
    trades = result.trades
    closed = trades[trades["exit_ts"].notna()]
    assert set(closed["exit_ts"]) == {crash} and set(closed["exit_rule"]) == {"max_daily_loss"}
    assert (closed["exit_price"] == 95.0).all()
    assert not result.equity.loc[crash, "invested"]  # flat within that cycle
    # nothing opens for the rest of that session; the next session trades again
    day2 = trades[(trades["entry_ts"] > crash) & (trades["entry_ts"] < at(DAYS[2], "00:00"))]
    assert day2.empty
    reopened = trades[trades["entry_ts"] >= at(DAYS[2], "00:00")]
    assert set(reopened["entry_ts"]) == {at(DAYS[2], "09:31")}
    assert any("max_daily_loss" in w for w in result.metrics["warnings"])


def test_no_breach_below_the_limit():
    settings = ResolvedSettings(name="t", universe=("AAA", "BBB"), max_daily_loss=0.06)
    result = simulate(settings, Scripted(settings.universe, always, never), crash_frames())
    assert not [e for e in result.events if e.kind == "max_daily_loss"]
    assert result.trades["exit_ts"].isna().all()


@pytest.mark.parametrize(("kind", "drop", "expected"), [
    ("stop_loss", 0.03, "stop_loss"), ("take_profit", -0.03, "take_profit"), ("trailing_stop", 0.03, "trailing_stop"),
])
def test_per_position_risk_exits(kind, drop, expected):
    settings = ResolvedSettings(name="t", universe=("AAA",), **{kind: 0.02})
    first = at(DAYS[0], "09:31").value
    result = simulate(settings, Scripted(settings.universe, lambda ts, s: ts == first, never),
                      crash_frames(("AAA",), drop=drop))
    trade = result.trades.iloc[0]
    assert trade["exit_rule"] == expected
    assert trade["exit_ts"] == at(DAYS[1], "10:00")


def test_data_only_symbols_are_never_traded():
    settings = ResolvedSettings(name="t", universe=("AAA", "VIX"))
    frames = crash_frames(("AAA", "VIX"))
    result = simulate(settings, Scripted(settings.universe, always, never), frames)
    assert set(result.orders["symbol"]) == {"AAA"}
    assert result.trades.iloc[0]["qty"] == 50  # allocation is still equity / len(universe)
    assert "VIX is data only (an index): it is never traded" in result.metrics["warnings"]


def _resting(offset: float) -> ResolvedSettings:
    # A negative offset puts limits on the passive side (buy below / sell above the close): in a
    # bar-driven backtest a limit at close*(1+-P) is always marketable, so this is how the
    # order-lifetime machinery is exercised.
    return ResolvedSettings(name="t", universe=("AAA",), order=ResolvedOrder("limit", offset, None))


def test_unfilled_entry_is_cancelled_after_one_cycle():
    first = at(DAYS[0], "09:31").value
    result = simulate(_resting(-0.01), Scripted(("AAA",), lambda ts, s: ts == first, never),
                      crash_frames(("AAA",)))
    assert list(result.orders["status"]) == ["CANCELED"]
    assert result.fills.empty and result.trades.empty


def test_resting_limit_fills_at_its_price_and_an_unfilled_exit_goes_to_market_after_ttl():
    enter_at, exit_at = at(DAYS[1], "09:59").value, at(DAYS[1], "10:30").value
    result = simulate(_resting(-0.01), Scripted(("AAA",), lambda ts, s: ts == enter_at, lambda ts, s: ts == exit_at),
                      crash_frames(("AAA",)))
    orders = result.orders.set_index("type")
    assert list(result.orders["type"]) == ["LIMIT", "LIMIT", "MARKET"]
    assert list(result.orders["status"]) == ["FILLED", "CANCELED", "FILLED"]
    trade = result.trades.iloc[0]
    assert trade["entry_price"] == 99.0 and trade["entry_ts"] == at(DAYS[1], "10:00")  # the bar that reached it
    assert trade["exit_price"] == 95.0 and trade["exit_ts"] == at(DAYS[1], "10:31")  # one cycle later, at market
    assert trade["exit_rule"] == "scripted_exit"
    assert [e.kind for e in result.events] == ["exit_market"]
    assert float(orders.loc["MARKET", "filled_qty"]) == trade["qty"]


def test_orders_larger_than_the_bar_liquidity_still_fill_in_the_cycle():
    # Nautilus gives each bar tick a quarter of the bar volume; the remainder fills one tick worse.
    first = at(DAYS[0], "09:31").value
    result = simulate(ResolvedSettings(name="t", universe=("AAA",)),
                      Scripted(("AAA",), lambda ts, s: ts == first, never), crash_frames(("AAA",), volume=12))
    assert list(result.orders["status"]) == ["FILLED"]
    assert result.trades.iloc[0]["qty"] == 99  # floor(10000 / limit 100.05): the free-cash cap
    assert result.equity["cash"].min() >= 0


def test_an_error_in_the_rules_fails_the_run():
    class Broken(Scripted):
        def evaluate(self, ts_ns):
            if ts_ns >= at(DAYS[1], "09:31").value:
                raise ZeroDivisionError("float division by zero")
            return super().evaluate(ts_ns)

    settings = ResolvedSettings(name="t", universe=("AAA",))
    with pytest.raises(RbtsError, match="ZeroDivisionError"):
        simulate(settings, Broken(settings.universe, always, never), crash_frames(("AAA",)))


def test_missing_bars_fail_clearly():
    settings = ResolvedSettings(name="t", universe=("AAA", "BBB"))
    with pytest.raises(RbtsError, match="no bars for BBB"):
        simulate(settings, Scripted(settings.universe, always, never), crash_frames(("AAA",)))
