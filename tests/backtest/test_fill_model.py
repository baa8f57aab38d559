"""The Nautilus run agrees with an independent pandas re-simulation of SPEC §2.4's fill model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from support.bt_data import random_walk, session_index
from support.bt_evaluators import SmaCross

from rbts.dsl.settings import ResolvedSettings
from rbts.runtime.backtest.runner import simulate

SYMBOLS = ("AAA", "BBB", "CCC")
DAYS = ["2025-03-03", "2025-03-04", "2025-03-05"]


def resimulate(frames: dict[str, pd.DataFrame], capital: float, fast: int, slow: int, offset: float):
    """Trade on close at every cycle (every bar): exits, then entries in universe order.

    Entry: sma(fast) crosses above sma(slow) (both over `slow` existing bars, cross against
    the previous cycle); exit: crosses below.  qty = min(floor((equity/N)/close),
    floor(cash/limit)) with limit = round(close*(1+offset), 2).
    """
    closes = pd.DataFrame({s: f["close"] for s, f in frames.items()})
    fast_ma = closes.rolling(fast).mean().where(closes.rolling(slow).count() >= slow).round(9)
    slow_ma = closes.rolling(slow).mean().round(9)
    above = fast_ma > slow_ma
    below = fast_ma < slow_ma
    valid = fast_ma.notna() & fast_ma.shift().notna()
    ups = valid & above & ~above.shift(fill_value=False)
    downs = valid & below & ~below.shift(fill_value=False)
    cash, held, trades = capital, {}, []
    for ts in closes.index:
        row = closes.loc[ts]
        for s in SYMBOLS:
            if s in held and downs.at[ts, s]:
                qty, entry_ts, entry_px = held.pop(s)
                cash += qty * row[s]
                trades.append((s, entry_ts, entry_px, ts, row[s], qty))
        equity = cash + sum(q * row[s] for s, (q, _, _) in held.items())
        for s in SYMBOLS:
            if s not in held and ups.at[ts, s]:
                limit = round(row[s] * (1 + offset), 2)
                qty = min(math.floor(equity / len(SYMBOLS) / row[s] + 1e-9), math.floor(cash / limit + 1e-9))
                if qty >= 1:
                    held[s] = (qty, ts, row[s])
                    cash -= qty * row[s]
    last = closes.iloc[-1]
    return trades, cash + sum(q * last[s] for s, (q, _, _) in held.items())


@pytest.fixture(scope="module")
def frames():
    index = session_index(DAYS)
    return {s: random_walk(index, seed=i) for i, s in enumerate(SYMBOLS)}


def test_nautilus_trades_equal_pandas_resimulation(frames):
    settings = ResolvedSettings(name="t", universe=SYMBOLS, capital=10_000)
    result = simulate(settings, SmaCross(SYMBOLS, fast=3, slow=8), frames)
    expected, final = resimulate(frames, 10_000, 3, 8, settings.order.offset)

    got = [(t.symbol, t.entry_ts, t.entry_price, t.exit_ts, t.exit_price, t.qty)
           for t in result.trades.itertuples() if pd.notna(t.exit_ts)]
    assert len(expected) > 50
    assert sorted(got, key=str) == sorted(expected, key=str)
    assert result.metrics["final_equity"] == pytest.approx(final, abs=1e-6)
    assert result.equity["equity"].iloc[-1] == pytest.approx(final, abs=1e-6)
    assert result.metrics["trades"] == len(expected)


def test_every_bar_is_processed_and_every_cycle_recorded(frames):
    settings = ResolvedSettings(name="t", universe=SYMBOLS, capital=10_000)
    result = simulate(settings, SmaCross(SYMBOLS, fast=3, slow=8), frames)
    assert result.bars == sum(len(f) for f in frames.values())
    assert len(result.equity) == len(frames["AAA"])  # cycle = 1m: one per bar instant
    assert result.equity.index.equals(frames["AAA"].index)


def test_allocation_never_exceeds_equity_over_n_at_entry(frames):
    settings = ResolvedSettings(name="t", universe=SYMBOLS, capital=10_000)
    result = simulate(settings, SmaCross(SYMBOLS, fast=2, slow=5), frames)
    equity = result.equity["equity"]
    cash = result.equity["cash"]
    entries = result.trades
    assert len(entries) > 50
    for t in entries.itertuples():
        at_entry = equity.loc[t.entry_ts]
        assert t.qty * t.entry_price <= at_entry / len(SYMBOLS) + 1e-9
    assert (cash >= -1e-9).all()  # never leverage: cash never negative


def test_rerun_is_deterministic(frames):
    settings = ResolvedSettings(name="t", universe=SYMBOLS, capital=10_000)
    a = simulate(settings, SmaCross(SYMBOLS), frames)
    b = simulate(settings, SmaCross(SYMBOLS), frames)
    pd.testing.assert_frame_equal(a.trades, b.trades)
    assert np.array_equal(a.equity["equity"].to_numpy(), b.equity["equity"].to_numpy())


def test_a_larger_account_trades_exactly_like_the_strategy_capital(frames):
    """A bot with `capital: 10000` on a 1,000,000 account sizes on its own 10,000 (and PnL)."""
    settings = ResolvedSettings(name="t", universe=SYMBOLS, capital=10_000)
    own = simulate(settings, SmaCross(SYMBOLS, fast=3, slow=8), frames)
    big = simulate(settings, SmaCross(SYMBOLS, fast=3, slow=8), frames, account_balance=1_000_000)
    pd.testing.assert_frame_equal(own.trades, big.trades)
    assert big.equity["equity"].iloc[0] == pytest.approx(10_000)
    assert big.metrics["final_equity"] == pytest.approx(own.metrics["final_equity"], abs=1e-6)
