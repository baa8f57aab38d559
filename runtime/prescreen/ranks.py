"""Ranking the pre-screen's variants and comparing its ranks with Nautilus' (SPEC §6.2, §6.3).

The order is the sweep's (SPEC §6.2): larger objective first; a variant with fewer than
``min_trades`` closed trades below every variant that has enough; an undefined objective
below every defined one; among equals the lower variant number first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def best_variants(objective: Sequence[float], trades: Sequence[float], k: int, min_trades: int) -> list[int]:
    """Indices of the ``k`` best variants (position 0 = variant 1), best first."""
    def key(i: int) -> tuple:
        value, enough = objective[i], trades[i] >= min_trades
        defined = value == value and value is not None
        return ((0 if enough else 2) + (0 if defined else 1), -value if defined else 0.0, i)

    return sorted(range(len(objective)), key=key)[: max(0, k)]


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman rank correlation (ties get their average rank) over pairs where both are defined;
    None when fewer than 2 pairs remain or one side is constant."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 2:
        return None
    rx, ry = _ranks(x), _ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    ordered = x[order]
    for value in np.unique(ordered[1:][np.diff(ordered) == 0]):
        tied = x == value
        ranks[tied] = ranks[tied].mean()
    return ranks


RANKS_AGREE = 0.9  # a rank correlation at or above this: the pre-screen orders variants as Nautilus does
FEW_CONFIRMED = 5  # below this many confirmed variants the rank correlation says little


def reading(rho: float | None, confirmed: int) -> str:
    """The rank correlation in plain words (docs/research.md, "Reading the rank correlation")."""
    if rho is None:
        return ("The rank correlation is undefined: fewer than 2 confirmed variants have a value, "
                "or all of one side are equal.")
    if confirmed < FEW_CONFIRMED:
        return (f"Rank correlation {rho:.3f} over only {confirmed} confirmed variants: too few to judge "
                "the pre-screen's order; confirm more (a larger K).")
    if rho >= RANKS_AGREE:
        return (f"The pre-screen put the {confirmed} confirmed variants in Nautilus' order (rank correlation "
                f"{rho:.3f}): the best confirmed variant is very likely the best of all those screened.")
    return (f"The pre-screen's order differs from Nautilus' (rank correlation {rho:.3f} over {confirmed} "
            "variants): its fill model matters for this strategy (limits that do not fill, large orders, "
            "short ttl). Treat its ranking as rough and confirm more variants (a larger K).")
