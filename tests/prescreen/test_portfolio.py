"""The numba portfolio simulation equals an independent slow re-simulation, trade for trade."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.prescreen_reference import resimulate

from rbts.dsl.settings import ResolvedOrder, ResolvedSettings
from rbts.runtime.prescreen.portfolio import REASONS, Costs, Market, simulate

TICKERS = ("AAA", "BBB", "CCC")


def market_of(closes: np.ndarray, peaks: np.ndarray, day: np.ndarray, first: int) -> Market:
    return Market(TICKERS[: closes.shape[1]], np.arange(len(closes), dtype=np.int64) * 60_000_000_000, closes,
                  peaks, day, first, int(day.max()) + 1, np.full(closes.shape[1], 100.0))


@st.composite
def scenario(draw):
    n_tickers = draw(st.integers(1, 3))
    n = draw(st.integers(5, 60))
    first = draw(st.integers(0, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    closes = np.round(draw(st.sampled_from([20.0, 100.0, 450.0])) * np.exp(
        np.cumsum(rng.normal(0, draw(st.sampled_from([0.002, 0.01, 0.03])), (n, n_tickers)), axis=0)), 2)
    late = draw(st.integers(0, n // 2))
    closes[:late, 0] = np.nan  # the first ticker has no bar yet
    peaks = np.where(rng.random((n, n_tickers)) < 0.8, np.round(closes * (1 + rng.random((n, n_tickers)) * 0.01), 2),
                     np.nan)
    day = np.full(n, -1, dtype=np.int64)
    day[first:] = np.sort(rng.integers(0, draw(st.integers(1, 6)), n - first))
    _, day[first:] = np.unique(day[first:], return_inverse=True)
    p_in, p_out = draw(st.sampled_from([0.05, 0.2, 0.6])), draw(st.sampled_from([0.05, 0.2, 0.6]))
    enter = rng.random((n_tickers, n)) < p_in
    leave = rng.random((n_tickers, n)) < p_out
    maybe = lambda values: draw(st.sampled_from([None, *values]))  # noqa: E731
    kind = draw(st.sampled_from(["equal", "percent", "fixed"]))
    s = ResolvedSettings(
        name="x", universe=TICKERS[:n_tickers] + (("IDX",) if draw(st.booleans()) else ()),
        capital=draw(st.sampled_from([1_000.0, 10_000.0, 12_345.67])),
        sizing_kind=kind, sizing_value={"equal": None, "percent": draw(st.sampled_from([0.1, 0.5, 1.0])),
                                        "fixed": draw(st.sampled_from([500.0, 3_000.0, 20_000.0]))}[kind],
        order=draw(st.sampled_from([ResolvedOrder("market", 0.0), ResolvedOrder("limit", 0.0005),
                                    ResolvedOrder("limit", 0.002)])),
        max_daily_loss=maybe([0.002, 0.01, 0.05]), stop_loss=maybe([0.002, 0.01]),
        take_profit=maybe([0.003, 0.02]), trailing_stop=maybe([0.002, 0.01]),
        fees=draw(st.sampled_from([0.0, 0.0005, 0.001, 0.0123])))
    return s, market_of(closes, peaks, day, first), enter, leave


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_simulation_equals_the_reference(case):
    s, market, enter, leave = case
    sim = simulate(market, Costs.of([s]), enter[None], leave[None], record=True)
    cols = list(market.tickers)
    trading = np.arange(market.first, len(market.cycles))
    ref = resimulate(s, pd.DataFrame(market.close, columns=cols), pd.DataFrame(market.peak, columns=cols),
                     pd.Series(market.day[trading], index=trading),
                     pd.DataFrame(enter.T, columns=cols), pd.DataFrame(leave.T, columns=cols))
    mine = [(cols[int(t)], int(e), int(x), int(q), REASONS[int(r)]) for t, e, x, q, *_, r in sim.trades[0]]
    theirs = [(t.ticker, t.entry_cycle, t.exit_cycle, t.qty, t.reason) for t in ref.trades]
    assert mine == theirs
    closed = [t.pnl for t in ref.trades if t.exit_cycle >= 0]
    np.testing.assert_allclose(sim.trades[0][sim.trades[0][:, 2] >= 0, 6], closed, atol=1e-9)
    np.testing.assert_allclose(sim.daily[0], [ref.daily[d] for d in range(market.n_days)], rtol=1e-12)
    assert sim.stats["trades"][0] == len(closed)
    assert sim.stats["invested_cycles"][0] == ref.invested_cycles
    assert sim.stats["pnl_sum"][0] == pytest.approx(sum(closed), abs=1e-6)


def test_variants_side_by_side_equal_each_alone():
    rng = np.random.default_rng(7)
    n = 200
    closes = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.01, (n, 3)), axis=0)), 2)
    day = np.repeat(np.arange(10), 20)
    market = market_of(closes, closes.copy(), day, 0)
    variants = [ResolvedSettings("x", TICKERS, sizing_kind="percent", sizing_value=f, stop_loss=sl, fees=fee)
                for f in (0.2, 0.5) for sl in (None, 0.01) for fee in (0.0, 0.001)]
    enter = rng.random((len(variants), 3, n)) < 0.1
    leave = rng.random((len(variants), 3, n)) < 0.1
    together = simulate(market, Costs.of(variants), enter, leave, record=True)
    for v, s in enumerate(variants):
        alone = simulate(market, Costs.of([s]), enter[v:v + 1], leave[v:v + 1], record=True)
        assert np.array_equal(alone.trades[0], together.trades[v], equal_nan=True)
        assert np.array_equal(alone.daily[0], together.daily[v])


def test_a_hand_computed_round_trip():
    """Buy 2 shares at 100 (1/N of 1,000 over 5 tickers = 200), sell at 110, 0.1% fees."""
    closes = np.array([[100.0], [105.0], [110.0]])
    market = market_of(closes, closes.copy(), np.array([0, 0, 1]), 0)
    s = ResolvedSettings("x", ("AAA", "B", "C", "D", "E"), capital=1_000.0, fees=0.001,
                         order=ResolvedOrder("market", 0.0))
    sim = simulate(market, Costs.of([s]), np.array([[[True, False, False]]]), np.array([[[False, False, True]]]),
                   record=True)
    # qty floor(200 / (100 * 1.001)) = 1: the fee is part of the allocation
    ticker, entry, exit_, qty, entry_px, exit_px, pnl, reason = sim.trades[0][0]
    assert (entry, exit_, qty, entry_px, exit_px, REASONS[int(reason)]) == (0, 2, 1, 100.0, 110.0, "exit_rule")
    assert pnl == pytest.approx(10.0 - 0.10 - 0.11)  # both commissions, to the cent
    assert sim.daily[0].tolist() == pytest.approx([1_000.0 - 0.10 + 5.0, 1_000.0 - 0.10 + 10.0 - 0.11])
