"""Figures and the per-rule view models, on the small demo data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from rbts.compiler.program import compile_strategy
from rbts.dsl.checker import check_text
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.settings import load_settings
from rbts.ui import figures, theme
from rbts.ui.rule_figures import rule_figure
from rbts.ui.rule_view import TRUE, WARMING, build_rule_views, last_true_text
from rbts.ui.session import REFERENCE


@pytest.fixture(scope="module")
def views(small_demo_home):
    program = compile_strategy(check_text(REFERENCE))
    frames = BarStore(load_settings(small_demo_home)).load_frames(program.settings.symbols, "2025-03-03",
                                                                  "2025-03-14")
    result = program.evaluate(frames)
    return result, {v.name: v for v in build_rule_views(result, "AAPL")}


def test_rule_views_follow_the_evaluator(views):
    result, by_name = views
    assert list(by_name) == ["market_hours", "vix_calm", "bull_cross", "bear_cross"]
    cross = by_name["bull_cross"]
    assert cross.symbol == "AAPL" and by_name["vix_calm"].symbol is None
    np.testing.assert_array_equal(cross.states, result.rule_states("bull_cross", "AAPL"))
    assert cross.states[0] == WARMING  # ema(close, 21, 5m) needs 21 five-minute bars
    assert [s[0] for s in cross.leaves[0].series] == ["ema(close, 9, 5m)", "ema(close, 21, 5m)"]
    assert (cross.states == TRUE).any()


def test_last_true_is_the_last_true_cycle(views):
    _, by_name = views
    view = by_name["bull_cross"]
    i = int(np.flatnonzero(view.states == TRUE)[-1])
    when, ago = view.last_true()
    assert when == view.times[i] and ago == len(view.states) - 1 - i
    assert last_true_text(view) == f"last true: {when:%Y-%m-%d %H:%M} ({ago} bar{'s' if ago != 1 else ''} ago)"


def test_why_not_now_names_the_false_condition(views):
    _, by_name = views
    view = by_name["vix_calm"]
    if view.state_now == "true":
        pytest.skip("vix_calm happens to be true at the last cycle")
    (part,) = view.failing_now()
    assert part.text == "slope(ema(VIX, 9, 5m), 30m) < -0.25"
    assert set(part.values) == {"slope(ema(VIX, 9, 5m), 30m)", "-0.25"}


def test_cutting_the_range_keeps_the_values(views):
    result, by_name = views
    since = pd.Timestamp("2025-03-10", tz="America/New_York").value
    cut = {v.name: v for v in build_rule_views(result, "AAPL", since)}["bull_cross"]
    full = by_name["bull_cross"]
    assert cut.times[0] >= pd.Timestamp("2025-03-10", tz="America/New_York")
    np.testing.assert_array_equal(cut.states, full.states[-len(cut.states):])


def test_rule_figures(views):
    _, by_name = views
    compact = rule_figure(by_name["bull_cross"], compact=True)
    names = [t.name for t in compact.data]
    assert names[:2] == ["true", "warming"] and "ema(close, 9, 5m)" in names
    assert compact.layout.template.layout.paper_bgcolor == theme.BACKGROUND
    full = rule_figure(by_name["vix_calm"], compact=False)
    assert full.layout.height > compact.layout.height
    assert rule_figure(by_name["market_hours"]).data  # a time rule: the band only


def _bars(n=600):
    idx = pd.date_range("2025-03-03 14:31", periods=n, freq="1min", tz="UTC")
    close = 100 + np.cumsum(np.random.default_rng(1).normal(0, 0.1, n))
    return pd.DataFrame({"open": close, "high": close + 0.2, "low": close - 0.2, "close": close,
                         "volume": np.full(n, 100.0)}, index=idx)


def test_display_bars_coarsen_long_ranges():
    bars, step = figures.display_bars(_bars(600), max_bars=100)
    assert step == 900 and len(bars) <= 100
    assert bars["high"].max() == pytest.approx(_bars(600)["high"].max())
    same, step = figures.display_bars(_bars(50))
    assert step == 60 and len(same) == 50


def test_backtest_figures_and_metrics():
    bars = _bars()
    trades = pd.DataFrame({"symbol": ["AAPL"], "entry_ts": [bars.index[10]], "entry_price": [100.0],
                           "exit_ts": [bars.index[50]], "exit_price": [101.0], "qty": [10], "pnl": [10.0],
                           "entry_rule": ["bull_cross"], "exit_rule": ["bear_cross"]})
    fig = figures.price_figure(bars, trades, "AAPL")
    assert [t.type for t in fig.data] == ["candlestick", "scatter", "scatter"]
    assert isinstance(fig, go.Figure)
    equity = pd.DataFrame({"equity": [10_000.0, 10_100.0, 9_900.0, 10_050.0]}, index=bars.index[:4])
    eq = figures.equity_figure(equity, 10_000.0)
    drawdown = eq.data[1].y
    assert drawdown[2] == pytest.approx((9_900 / 10_100 - 1) * 100) and drawdown[0] == 0
    table = figures.metrics_table({"total_return": 0.0123, "sharpe": None, "max_drawdown": -0.05, "trades": 3,
                                   "warnings": ["few trades"]})
    assert table.values.tolist() == [["Total return", "+1.23%"], ["Sharpe", "—"], ["Max drawdown", "-5.00%"],
                                     ["Trades", "3"]]


def test_rangebreaks_hide_nights_only_for_rth_data():
    rth = pd.DatetimeIndex(["2025-03-03 14:31", "2025-03-03 21:00"], tz="UTC")
    assert len(figures.rangebreaks(rth)) == 2
    night = figures.rangebreaks(rth)[1]["bounds"]
    assert night[0] > 16 and night[1] > 9.5  # the 16:00 close stays visible, 09:31 is the first bar
    eth = pd.DatetimeIndex(["2025-03-03 09:00", "2025-03-03 21:00"], tz="UTC")
    assert len(figures.rangebreaks(eth)) == 1


def test_rangebreaks_hide_holidays_of_rth_data():
    idx = pd.DatetimeIndex(["2025-02-14 15:00", "2025-02-14 21:00", "2025-02-18 15:00"], tz="UTC")  # Feb 17: a holiday
    assert figures.rangebreaks(idx)[-1] == dict(values=["2025-02-17 09:31:00"], dvalue=6.5 * 3_600_000)


def test_equity_figure_is_bounded_and_draws_benchmarks():
    idx = pd.date_range("2025-01-02 14:35", periods=50_000, freq="5min", tz="UTC")
    values = 10_000 + np.cumsum(np.random.default_rng(2).normal(0, 5, len(idx)))
    equity = pd.DataFrame({"equity": values}, index=idx)
    hold = pd.Series(values * 1.1, index=idx)
    fig = figures.equity_figure(equity, 10_000.0, benchmarks={"Buy & hold AAPL": hold})
    assert [t.name for t in fig.data] == ["equity", "Buy & hold AAPL", "drawdown %"]
    assert all(len(t.y) <= figures.MAX_POINTS for t in fig.data)
    assert min(fig.data[0].y) == values.min() and max(fig.data[0].y) == values.max()
    deepest = figures.drawdown_percent(values, 10_000.0).min()
    assert min(fig.data[2].y) == pytest.approx(deepest)  # the deepest drawdown is drawn
