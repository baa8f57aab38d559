"""The Nautilus indicators behind the language's indicator functions.

The function registry (:mod:`rbts.dsl.functions`) names, for each indicator op, the
real Nautilus class, how to build it and how it is fed one bar; :func:`make` and
:func:`feeder` turn that into objects -- the incremental evaluator uses exactly those.
The vectorised evaluator uses a numpy/pandas formula where one is known to give the
same numbers (EMA, SMA, RSI, MACD; verified against the classes in tests), and
otherwise feeds the very same Nautilus class over the array.

Conventions (documented in docs/semantics.md):
- ``rsi`` reports Nautilus' 0..1 value times 100.
- ``wma`` uses linear weights 1..n (Nautilus' default of no weights is a plain mean).
- ``bb_*(x, ...)`` feeds ``x`` as high, low and close, so the typical price is x.
- ``vwap`` restarts each New York calendar day (Nautilus restarts when the day of
  the timestamp it is given changes; it is given New York time).
"""

from __future__ import annotations

import importlib
import operator
from collections.abc import Callable
from datetime import datetime

import numpy as np

from rbts.dsl.functions import Nautilus, graph_indicators

SPECS: dict[str, Nautilus] = graph_indicators()


def make(func: str, params: tuple):
    """A fresh Nautilus indicator object for ``func(params)``."""
    spec = SPECS[func]
    cls = getattr(importlib.import_module(f"nautilus_trader.indicators.{spec.module}"), spec.class_name)
    args, kwargs = spec.construct(params)
    return cls(*args, **kwargs)


def feeder(func: str, ind) -> Callable[..., float]:
    """A function ``feed(*inputs, day=None) -> value`` that updates ``ind`` with one bar.

    ``day`` (New York day number) is needed by vwap only.
    """
    spec = SPECS[func]
    return FEEDERS[spec.feed](ind.update_raw, ind, spec)


def _feed_value(update, ind, spec):
    if spec.scale != 1.0:
        scale = spec.scale

        def feed_scaled(x, day=None):
            update(x)
            return ind.value * scale

        return feed_scaled

    def feed(x, day=None):
        update(x)
        return ind.value

    return feed


def _feed_typical(update, ind, spec):
    out = spec.output

    def feed_bb(x, day=None):
        update(x, x, x)
        return getattr(ind, out)

    return feed_bb


def _feed_bar(update, ind, spec):
    def feed_atr(high, low, close, day=None):
        update(high, low, close)
        return ind.value

    return feed_atr


def _feed_vwap(update, ind, spec):
    days: dict[int, datetime] = {}

    def feed_vwap(high, low, close, vol, day):
        stamp = days.get(day)
        if stamp is None:  # only .day is read by Nautilus: any datetime on that date works
            stamp = days[day] = datetime.fromordinal(int(day) + 719_163)
        update((close + high + low) / 3.0, vol, stamp)
        return ind.value

    return feed_vwap


# How each ``Nautilus.feed`` reaches ``update_raw`` (every feed named in the registry has one).
FEEDERS = {"value": _feed_value, "typical": _feed_typical, "bar": _feed_bar, "bar_volume_day": _feed_vwap}


def warmup_length(func: str, params: tuple) -> int:
    """Inputs after which the Nautilus indicator reports itself initialised."""
    return SPECS[func].ready_after(params)


# ----------------------------------------------------------------------------- vectorised


def compute(func: str, params: tuple, inputs: list[np.ndarray], days: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(values, initialised) of ``func`` fed the input arrays (ready values only) in order.

    Recurrent indicators run the Nautilus class itself over the array, which makes
    both evaluators agree to the last bit; EMA repeats Nautilus' recurrence in plain
    Python and SMA has an exact array form (both tested bit-identical to the classes).
    """
    n = len(inputs[0])
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=bool)
    formula = FORMULAS.get(SPECS[func].class_name)
    if formula is not None:
        return formula(params[0], inputs[0]), np.arange(1, n + 1) >= params[0]
    return _loop(func, params, inputs, days)


def _loop(func, params, inputs, days):
    n = len(inputs[0])
    ready = np.arange(1, n + 1) >= warmup_length(func, params)
    ind = make(func, params)
    spec = SPECS[func]
    if spec.inputs == ("x",):  # the hot path: one value in, one attribute out
        update = ind.update_raw
        out: list[float] = []
        keep = out.append
        if spec.feed == "typical":
            read = operator.attrgetter(spec.output)
            for x in inputs[0].tolist():
                update(x, x, x)
                keep(read(ind))
        else:
            for x in inputs[0].tolist():
                update(x)
                keep(ind.value)
        values = np.array(out, dtype=np.float64)
        return (values * spec.scale if spec.scale != 1.0 else values), ready
    feed = feeder(func, ind)
    cols = [a.tolist() for a in inputs]
    if spec.feed == "bar_volume_day":
        cols.append(days.tolist())
    values = np.array([feed(*args) for args in zip(*cols)], dtype=np.float64)
    return values, ready


def _ema(period: int, x: np.ndarray) -> np.ndarray:
    """Nautilus' EMA recurrence, operation for operation (the first input seeds the value,
    then ``alpha * x + (1 - alpha) * value``); tests hold it bit-identical to the class.
    Plain Python floats: 3x faster than calling the Cython object, and no Nautilus import."""
    alpha = 2.0 / (period + 1.0)
    keep = 1.0 - alpha
    out: list[float] = []
    append = out.append
    xs = x.tolist()
    value = xs[0]
    for v in xs:
        value = alpha * v + keep * value
        append(value)
    return np.array(out, dtype=np.float64)


def _sma(period: int, x: np.ndarray) -> np.ndarray:
    """Nautilus' SMA: the mean of the last ``period`` inputs (fewer at the start),
    each window summed from 0.0 left to right like ``fast_mean``."""
    n = len(x)
    out = np.empty(n)
    head = min(period - 1, n)
    out[:head] = np.cumsum(x[:head]) / np.arange(1, head + 1)
    if n >= period:
        m = n - period + 1
        acc = np.zeros(m)
        for j in range(period):
            acc += x[j:j + m]
        out[period - 1:] = acc / period
    return out


# Array forms bit-identical to these Nautilus classes (tests/compiler/test_indicators.py).
FORMULAS = {"ExponentialMovingAverage": _ema, "SimpleMovingAverage": _sma}
