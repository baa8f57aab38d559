"""Overfitting statistics of a sweep (SPEC §6.2), as pure functions of daily returns.

* :func:`deflated_sharpe` — the Deflated Sharpe Ratio (Bailey & Lopez de Prado, 2014)
  of the best variant, given every ok variant's daily Sharpe ratio.
* :func:`pbo` — the Probability of Backtest Overfitting by combinatorially symmetric
  cross-validation (Bailey, Borwein, Lopez de Prado & Zhu, 2016) of a T x N matrix of
  daily returns.

Returns are the daily mark-to-market returns metrics.json's ``sharpe`` is computed from
(:func:`rbts.runtime.backtest.metrics.daily_returns`); the daily Sharpe ratio uses ddof 1,
so metrics.json's sharpe is ``daily_sharpe * sqrt(252)``.  Undefined results are ``None``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from functools import lru_cache
from statistics import NormalDist

import numpy as np

EULER_GAMMA = 0.5772156649
PBO_BLOCKS = 16
_NORMAL = NormalDist()


def daily_sharpe(returns: Sequence[float]) -> float | None:
    """mean / std (ddof 1) of daily returns; None for fewer than 2 returns or no variation."""
    r = np.asarray(returns, dtype=float)
    if len(r) < 2:
        return None
    sd = r.std(ddof=1)
    return float(r.mean() / sd) if sd > 0 and math.isfinite(sd) else None


def moments(returns: Sequence[float]) -> tuple[float, float]:
    """(skewness, non-excess kurtosis) as population moments (scipy.stats' biased defaults)."""
    r = np.asarray(returns, dtype=float)
    d = r - r.mean()
    m2, m3, m4 = (d**2).mean(), (d**3).mean(), (d**4).mean()
    return float(m3 / m2**1.5), float(m4 / m2**2)


def expected_max_sharpe(sharpes: Sequence[float]) -> float | None:
    """SR0 = sqrt(V) * ((1 - e) * Phi^-1(1 - 1/N) + e * Phi^-1(1 - 1/(N * exp(1)))),
    V the variance (ddof 1) of the N daily Sharpe ratios, e Euler's constant."""
    s = np.asarray(sharpes, dtype=float)
    n = len(s)
    if n < 2:
        return None
    v = s.var(ddof=1)
    quantiles = (1 - EULER_GAMMA) * _NORMAL.inv_cdf(1 - 1 / n) + EULER_GAMMA * _NORMAL.inv_cdf(1 - 1 / (n * math.e))
    return float(math.sqrt(v) * quantiles)


def probabilistic_sharpe(returns: Sequence[float], benchmark: float) -> float | None:
    """PSR(SR0) = Phi((SR - SR0) * sqrt(T - 1) / sqrt(1 - g3*SR + (g4 - 1)/4 * SR^2))."""
    sr = daily_sharpe(returns)
    if sr is None:
        return None
    t = len(returns)
    g3, g4 = moments(returns)
    spread = 1 - g3 * sr + (g4 - 1) / 4 * sr**2
    if not spread > 0:
        return None
    return float(_NORMAL.cdf((sr - benchmark) * math.sqrt(t - 1) / math.sqrt(spread)))


def deflated_sharpe(best_returns: Sequence[float], sharpes: Sequence[float]) -> float | None:
    """The best variant's PSR against the expected maximum Sharpe of ``len(sharpes)`` trials.

    ``sharpes`` holds the daily Sharpe ratio of every ok variant whose Sharpe is defined
    (variants with flat equity have none and are left out)."""
    benchmark = expected_max_sharpe(sharpes)
    if benchmark is None:
        return None
    return probabilistic_sharpe(best_returns, benchmark)


@lru_cache(maxsize=1)
def _in_sample_masks(blocks: int = PBO_BLOCKS) -> np.ndarray:
    """One row per way to pick blocks/2 of the blocks as in-sample (C(16, 8) = 12,870 rows)."""
    combos = list(itertools.combinations(range(blocks), blocks // 2))
    masks = np.zeros((len(combos), blocks))
    for row, picked in enumerate(combos):
        masks[row, list(picked)] = 1.0
    return masks


def _sharpes(total: np.ndarray, total_sq: np.ndarray, n: int, shift: np.ndarray) -> np.ndarray:
    """Daily Sharpe from sums of (x - shift) and of their squares over n rows (ddof 1).
    No variation gives 0: a flat variant neither wins nor loses a ranking."""
    mean = total / n + shift
    var = np.maximum(total_sq - total**2 / n, 0.0) / (n - 1)
    sd = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 1e-15 * (np.abs(mean) + 1e-300), mean / sd, 0.0)


def pbo(returns: np.ndarray, blocks: int = PBO_BLOCKS, chunk_cells: int = 4_000_000) -> float | None:
    """Share of the C(S, S/2) in-sample/out-of-sample splits whose in-sample best variant
    ranks in the lower half out of sample (w = rank / (N + 1) <= 0.5, rank 1 = worst, ties
    averaged; among equal in-sample Sharpes the lowest column wins).

    ``returns`` is T x N (rows: days, columns: variants); the first T mod S rows are dropped
    and the rest cut into S consecutive blocks of equal size.  None when N < 2 or T < S."""
    m = np.asarray(returns, dtype=float)
    t, n = m.shape
    size = t // blocks
    if n < 2 or size < 1:
        return None
    m = m[t - size * blocks:]
    shift = m.mean(axis=0)
    d = (m - shift).reshape(blocks, size, n)
    sums, squares = d.sum(axis=1), (d**2).sum(axis=1)  # blocks x N
    all_sum, all_sq = sums.sum(axis=0), squares.sum(axis=0)
    masks = _in_sample_masks(blocks)
    rows_in = size * (blocks // 2)
    rows_out = size * blocks - rows_in
    low_half = 0
    step = max(1, chunk_cells // n)
    for lo in range(0, len(masks), step):
        part = masks[lo:lo + step]
        in_sum, in_sq = part @ sums, part @ squares
        sr_in = _sharpes(in_sum, in_sq, rows_in, shift)
        sr_out = _sharpes(all_sum - in_sum, all_sq - in_sq, rows_out, shift)
        best = sr_in.argmax(axis=1)  # the first of equal maxima: the lowest variant
        chosen = sr_out[np.arange(len(part)), best][:, None]
        rank = (sr_out < chosen).sum(axis=1) + ((sr_out == chosen).sum(axis=1) + 1) / 2
        low_half += int((rank / (n + 1) <= 0.5).sum())
    return low_half / len(masks)
