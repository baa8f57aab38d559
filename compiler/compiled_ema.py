"""Nautilus' EMA recurrence compiled with numba, for evaluations of many EMAs (the pre-screen).

``indicators._ema`` runs the recurrence in plain Python floats (bit-identical to Nautilus'
class, no heavy import: what traces want).  A grid of 2,000 variants has a thousand EMA
nodes; there the loop dominates, so :func:`compiled_ema` swaps in the same recurrence
compiled -- the same float operations in the same order, without fast-math (no fused
multiply-add), so the values are the same to the last bit (tests/compiler/test_variants.py).
numba is imported only here, so `rbts trace` does not pay for it.
"""

from __future__ import annotations

from contextlib import contextmanager

import numba
import numpy as np

from rbts.compiler import indicators

EMA_CLASS = "ExponentialMovingAverage"


@numba.njit(cache=True)
def _recurrence(alpha: float, keep: float, xs: np.ndarray) -> np.ndarray:
    out = np.empty(len(xs))
    value = xs[0]
    for i in range(len(xs)):
        value = alpha * xs[i] + keep * value
        out[i] = value
    return out


def ema(period: int, x: np.ndarray) -> np.ndarray:
    """``indicators._ema``, compiled: alpha = 2 / (period + 1), the first input seeds the value."""
    alpha = 2.0 / (period + 1.0)
    return _recurrence(alpha, 1.0 - alpha, np.ascontiguousarray(x, dtype=np.float64))


@contextmanager
def compiled_ema():
    """Within the block, the vectorised evaluator computes EMAs with :func:`ema`."""
    plain = indicators.FORMULAS[EMA_CLASS]
    indicators.FORMULAS[EMA_CLASS] = ema
    try:
        yield
    finally:
        indicators.FORMULAS[EMA_CLASS] = plain
