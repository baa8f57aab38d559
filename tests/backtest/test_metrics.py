"""Metrics against values computed by hand on a hand-made equity curve and trade list."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from rbts.runtime.backtest import metrics as m
from rbts.runtime.strategy.orders import entry_quantity, risk_exit
from rbts.dsl.settings import ResolvedSettings

# Four New York days, two cycles a day; the last cycle of each day counts.
TS = pd.DatetimeIndex([
    "2025-03-03 15:00", "2025-03-03 16:00", "2025-03-04 15:00", "2025-03-04 16:00",
    "2025-03-05 15:00", "2025-03-05 16:00", "2025-03-06 15:00", "2025-03-06 16:00",
], tz="America/New_York").tz_convert("UTC")
EQUITY = [1000, 1100, 1050, 990, 1000, 1089, 1100, 1143.45]
INVESTED = [False, True, True, True, False, False, True, False]
PNLS = [100.0, -60.0, 0.0, 50.0, -40.0]
START, END = date(2025, 3, 3), date(2025, 3, 6)


@pytest.fixture(scope="module")
def result():
    return m.compute_metrics(START, END, 1000.0, TS, EQUITY, INVESTED, PNLS)


def test_daily_returns_use_the_last_cycle_of_each_day_after_the_initial_capital():
    daily = m.daily_equity(TS, EQUITY)
    assert list(daily) == [1100, 990, 1089, 1143.45]
    r = m.daily_returns(daily, 1000.0)
    assert r == pytest.approx([0.10, -0.10, 0.10, 0.05])


def test_return_metrics_by_hand(result):
    r = [0.10, -0.10, 0.10, 0.05]
    mean = sum(r) / 4  # 0.0375
    sd = math.sqrt(sum((x - mean) ** 2 for x in r) / 3)
    downside = math.sqrt((0.10 ** 2) / 4)  # only -0.10 is below 0, divided by all 4 days
    assert result["total_return"] == pytest.approx(0.14345)
    assert result["final_equity"] == pytest.approx(1143.45)
    assert result["sharpe"] == pytest.approx(mean / sd * math.sqrt(252))
    assert result["sortino"] == pytest.approx(mean / downside * math.sqrt(252))
    assert result["volatility"] == pytest.approx(sd * math.sqrt(252))
    # peak 1100 -> trough 990 on the daily curve
    assert result["max_drawdown"] == pytest.approx(-0.10)
    growth = 1.14345 ** (365 / 4) - 1
    assert result["cagr"] == pytest.approx(growth)
    assert result["calmar"] == pytest.approx(growth / 0.10)


def test_trade_metrics_by_hand(result):
    assert result["trades"] == 5
    assert result["win_rate"] == pytest.approx(2 / 5)  # a break-even trade is not a win
    assert result["profit_factor"] == pytest.approx(150 / 100)
    # W*avgWin - L*|avgLoss| = 0.4*75 - 0.4*50
    assert result["expectancy"] == pytest.approx(0.4 * 75 - 0.4 * 50)
    assert result["exposure"] == pytest.approx(4 / 8)


def test_keys_and_warnings(result):
    assert list(result) == [*m.METRIC_KEYS, "warnings"]
    assert result["start"] == "2025-03-03" and result["end"] == "2025-03-06"
    assert len(result["warnings"]) == 2  # fewer than 30 trades, under 3 months


def test_undefined_ratios_are_none_not_nan():
    flat = m.compute_metrics(START, END, 1000.0, TS, [1000.0] * 8, [False] * 8, [])
    for key in ("sharpe", "sortino", "calmar", "win_rate", "profit_factor", "expectancy"):
        assert flat[key] is None
    assert flat["max_drawdown"] == 0.0 and flat["total_return"] == 0.0 and flat["trades"] == 0


def test_long_enough_run_has_no_duration_warning():
    assert m.warnings_for(date(2025, 1, 1), date(2025, 3, 31), 40) == []
    assert len(m.warnings_for(date(2025, 1, 1), date(2025, 3, 30), 40)) == 1


def test_entry_quantity_is_floor_of_allocation_capped_by_free_cash():
    assert entry_quantity(2500.0, 10_000.0, 100.0, 100.05) == 25
    assert entry_quantity(2500.0, 1000.0, 100.0, 100.05) == 9  # 1000 / 100.05
    assert entry_quantity(0.3 * 1000, 10_000.0, 10.0, 10.01) == 30  # 0.3*1000/10 is 29.999... in floats
    assert entry_quantity(50.0, 10_000.0, 100.0, 100.05) == 0


def test_risk_exit_rules():
    s = ResolvedSettings(name="t", universe=("A",), stop_loss=0.02, take_profit=0.05, trailing_stop=0.03)
    assert risk_exit(s, 100.0, 100.0, 98.0) == "stop_loss"
    assert risk_exit(s, 100.0, 100.0, 105.0) == "take_profit"
    assert risk_exit(s, 100.0, 104.0, 100.8) == "trailing_stop"
    assert risk_exit(s, 100.0, 104.0, 101.0) is None
