"""indicators.compute (vectorised path) == the Nautilus object fed one value at a time."""

from __future__ import annotations

import numpy as np
import pytest

from rbts.compiler import indicators as ind

X = np.round(100 + np.cumsum(np.random.default_rng(7).normal(0, 0.5, 3000)), 2)
CASES = [("sma", (1,)), ("sma", (7,)), ("sma", (50,)), ("ema", (9,)), ("rsi", (14,)), ("wma", (5,)), ("hma", (9,)),
         ("dema", (5,)), ("bb_upper", (20, 2.0)), ("bb_middle", (20, 2.0)), ("bb_lower", (20, 1.5)),
         ("macd", (12, 26))]


@pytest.mark.parametrize("func, params", CASES, ids=[f"{f}{p}" for f, p in CASES])
def test_compute_equals_feeding_nautilus_bit_for_bit(func, params):
    values, ready = ind.compute(func, params, [X], None)
    obj = ind.make(func, params)
    feed = ind.feeder(func, obj)
    want, want_ready = [], []
    for x in X.tolist():
        want.append(feed(x))
        want_ready.append(obj.initialized)
    assert np.array_equal(values, np.array(want))
    assert np.array_equal(ready, np.array(want_ready))


def test_atr_and_vwap_paths():
    high, low, vol = X + 0.3, X - 0.4, np.arange(len(X), dtype=float) % 7
    days = np.repeat(np.arange(10), len(X) // 10)
    for func, params, inputs in (("atr", (14,), [high, low, X]), ("vwap", (), [high, low, X, vol])):
        values, ready = ind.compute(func, params, inputs, days)
        obj = ind.make(func, params)
        feed = ind.feeder(func, obj)
        extra = [days.tolist()] if func == "vwap" else []
        want = [feed(*args) for args in zip(*[a.tolist() for a in inputs], *extra)]
        assert np.array_equal(values, np.array(want))


@pytest.mark.parametrize("period", [1, 2, 3, 9, 14, 21, 50, 200])
def test_python_ema_is_bit_identical_to_nautilus(period):
    rng = np.random.default_rng(period)
    for x in (X, np.round(rng.lognormal(3, 1, 5000), 4), rng.normal(0, 1e6, 2000)):
        values, _ = ind.compute("ema", (period,), [x], None)
        obj = ind.make("ema", (period,))
        want = []
        for v in x.tolist():
            obj.update_raw(v)
            want.append(obj.value)
        assert np.array_equal(values, np.array(want))
