"""Indicator values equal the real Nautilus classes fed bar by bar, on bars aggregated
independently with pandas (``resample(label="right", closed="right")``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from nautilus_trader.indicators import averages, momentum, trend, volatility, volume
from support.compiler_cases import program

from rbts.compiler.trace import trace_strategy
from rbts.runtime.data import demo


@pytest.fixture(scope="module")
def aapl():
    return demo.generate(("AAPL",), "2025-03-03", "2025-03-07")["AAPL"]


def five_minute(frame):
    bars = frame.resample("5min", label="right", closed="right").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
    return bars.dropna()


def feed(ind, bars, how):
    out = []
    for row in bars.itertuples():
        how(ind, row)
        out.append(ind.value if hasattr(ind, "value") else None)
    return np.array(out)


CASES = {
    "ema(close, 9, 5m)": (lambda: averages.ExponentialMovingAverage(9), lambda i, r: i.update_raw(r.close), 1),
    "sma(close, 7, 5m)": (lambda: averages.SimpleMovingAverage(7), lambda i, r: i.update_raw(r.close), 1),
    "wma(close, 6, 5m)": (lambda: averages.WeightedMovingAverage(6, weights=np.arange(1.0, 7.0)),
                          lambda i, r: i.update_raw(r.close), 1),
    "hma(close, 10, 5m)": (lambda: averages.HullMovingAverage(10), lambda i, r: i.update_raw(r.close), 1),
    "dema(close, 8, 5m)": (lambda: averages.DoubleExponentialMovingAverage(8), lambda i, r: i.update_raw(r.close), 1),
    "rsi(close, 14, 5m)": (lambda: momentum.RelativeStrengthIndex(14), lambda i, r: i.update_raw(r.close), 100),
    "atr(14, 5m)": (lambda: volatility.AverageTrueRange(14), lambda i, r: i.update_raw(r.high, r.low, r.close), 1),
    "macd(close, 12, 26, 5m)": (lambda: trend.MovingAverageConvergenceDivergence(12, 26),
                                lambda i, r: i.update_raw(r.close), 1),
    "vwap(5m)": (lambda: volume.VolumeWeightedAveragePrice(),
                 lambda i, r: i.update_raw((r.close + r.high + r.low) / 3, r.volume, r.Index), 1),
}


@pytest.mark.parametrize("call", list(CASES))
def test_indicator_equals_nautilus(call, aapl):
    make, how, scale = CASES[call]
    prog = program(f"entry r: {call} > -1e9", universe="AAPL", header="cycle: 5m")
    tr = trace_strategy(prog.checked, {"AAPL": aapl}, "AAPL")
    bars = five_minute(aapl)
    ind = make()
    want, ready = [], []
    for row in bars.itertuples():
        how(ind, row)
        want.append(ind.value * scale)
        ready.append(ind.initialized)
    got = tr.frame.set_index("ts")[call]
    want = pd.Series(want, index=bars.index).where(pd.Series(ready, index=bars.index))
    got = got.reindex(want.index)
    assert got.isna().sum() == want.isna().sum()
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12, atol=1e-12, equal_nan=True)


def test_bollinger_bands_equal_nautilus(aapl):
    calls = ["bb_upper(close, 20, 2, 5m)", "bb_middle(close, 20, 2, 5m)", "bb_lower(close, 20, 2, 5m)"]
    prog = program("\n".join(f"entry r{i}: {c} > 0" for i, c in enumerate(calls)), universe="AAPL",
                   header="cycle: 5m")
    tr = trace_strategy(prog.checked, {"AAPL": aapl}, "AAPL").frame.set_index("ts")
    ind = volatility.BollingerBands(20, 2.0)
    rows = []
    for row in five_minute(aapl).itertuples():
        ind.update_raw(row.close, row.close, row.close)
        rows.append((row.Index, ind.upper, ind.middle, ind.lower, ind.initialized))
    want = pd.DataFrame(rows, columns=["ts", *calls, "ready"]).set_index("ts")
    for c in calls:
        np.testing.assert_allclose(tr[c].reindex(want.index), want[c].where(want.ready), rtol=1e-12, equal_nan=True)


def test_ema_on_one_minute_bars(aapl):
    prog = program("entry r: ema(close, 20) > 0", universe="AAPL", header="cycle: 1m")
    tr = trace_strategy(prog.checked, {"AAPL": aapl}, "AAPL")
    want = aapl["close"].ewm(span=20, adjust=False).mean().to_numpy().copy()
    want[:19] = np.nan
    np.testing.assert_allclose(tr.frame["ema(close, 20)"], want, rtol=1e-12, equal_nan=True)
