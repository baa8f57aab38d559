"""Condition ops on stacked rows: (rows x cycles) arrays, the cycle axis last.

The same semantics as the condition methods of :mod:`rbts.compiler.vector` (SPEC §2.3),
written for many conditions of one op at once: the pre-screen evaluates the
``fast crosses_above slow`` of 2,000 variants as one (2000 x cycles) operation instead
of 2,000 Python calls.  States are int8: FALSE 0, TRUE 1, WARMING 2.  Every function
also accepts 1-D rows.  ``tests/compiler/test_variants.py`` holds them equal to the
vectorised evaluator, state for state.
"""

from __future__ import annotations

import numpy as np

from rbts.compiler import clock
from rbts.compiler.protocol import FALSE, TRUE, WARMING

__all__ = ["FALSE", "TRUE", "WARMING", "states", "compare", "cross", "between", "temporal", "negate",
           "both", "either", "time_in", "time_between"]

_COMPARE = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


def states(truth: np.ndarray, warming: np.ndarray) -> np.ndarray:
    return np.where(warming, WARMING, truth.astype(np.int8)).astype(np.int8)


def _previous(x: np.ndarray, fill) -> np.ndarray:
    """x one cycle back along the last axis (``fill`` at the first cycle)."""
    out = np.empty_like(x)
    out[..., 0] = fill
    out[..., 1:] = x[..., :-1]
    return out


def compare(op: str, a, ra, b, rb) -> np.ndarray:
    return states(_COMPARE[op](a, b), ~(ra & rb))


def cross(direction: str, a, ra, b, rb) -> np.ndarray:
    """``a[t] > b[t] and a[t-1] <= b[t-1]`` (above) and its mirror, on boolean rows: the previous
    cycle's comparison is this cycle's shifted (a comparison with NaN is false either way)."""
    ok = ra & rb
    above = below = None
    if direction != "below":
        above = (a > b) & _previous(a <= b, False)
    if direction != "above":
        below = (a < b) & _previous(a >= b, False)
    truth = above if below is None else below if above is None else above | below
    return states(truth, ~(ok & _previous(ok, False)))


def between(v, rv, lo, rl, hi, rh) -> np.ndarray:
    return states((lo <= v) & (v <= hi), ~(rv & rl & rh))


def _rolling_count(flags: np.ndarray, n: int) -> np.ndarray:
    """How many of the last ``n`` entries (now included) along the last axis are set."""
    c = np.cumsum(flags, axis=-1, dtype=np.int64)
    out = c.copy()
    out[..., n:] -= c[..., :-n]
    return out


def temporal(s: np.ndarray, n: int, want_all: bool) -> np.ndarray:
    """``C within n`` (``want_all`` False) or ``C for n`` cycles."""
    trues = _rolling_count(s == TRUE, n)
    warm = _rolling_count(s == WARMING, n) > 0
    warm[..., : n - 1] = True
    return states(trues == n if want_all else trues > 0, warm)


def negate(s: np.ndarray) -> np.ndarray:
    return np.where(s == WARMING, WARMING, 1 - s).astype(np.int8)


def both(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return states((a == TRUE) & (b == TRUE), (a == WARMING) | (b == WARMING))


def either(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return states((a == TRUE) | (b == TRUE), (a == WARMING) | (b == WARMING))


def time_in(session: str, cycles: np.ndarray) -> np.ndarray:
    test = clock.in_rth if session == "RTH" else clock.in_eth
    return test(cycles).astype(np.int8)


def time_between(start: int, end: int, cycles: np.ndarray) -> np.ndarray:
    sod = clock.local_seconds_of_day(cycles)
    return np.asarray(clock.in_time_window(sod, start, end)).astype(np.int8)


assert FALSE == 0 and TRUE == 1  # states() and negate() rely on it
