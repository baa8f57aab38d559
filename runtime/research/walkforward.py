"""Walk-forward folds and the chained out-of-sample equity (SPEC §6.2).

The sessions of the range are cut into K+1 consecutive blocks of equal size (the last
takes the remainder).  Fold i (1..K) trains on block i-1 (anchored: blocks 0..i-1) and
tests on block i.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from rbts.dsl.errors import RbtsError
from rbts.dsl.exchange import EXCHANGE_CALENDAR


@dataclass(frozen=True)
class Fold:
    number: int
    train_start: date
    train_end: date
    test_start: date
    test_end: date


def sessions(start: date, end: date, calendar: str = EXCHANGE_CALENDAR) -> list[date]:
    """The exchange's sessions from start to end, both included."""
    import exchange_calendars as xcals

    try:
        cal = xcals.get_calendar(calendar, start=str(start), end=str(end))
        days = cal.sessions_in_range(str(start), str(end))
    except Exception as exc:  # outside the calendar's years, unknown calendar
        raise RbtsError(f"cannot list the {calendar} sessions from {start} to {end}: {exc}") from None
    return [d.date() for d in days]


def make_folds(days: Sequence[date], k: int, anchored: bool = False) -> list[Fold]:
    if k < 1:
        raise RbtsError(f"--walk-forward needs K >= 1 folds, got {k}")
    size = len(days) // (k + 1)
    if size < 1:
        raise RbtsError(f"--walk-forward {k} needs at least {k + 1} sessions; the range has {len(days)}")
    blocks = [days[i * size:(i + 1) * size] for i in range(k)] + [days[k * size:]]
    folds = []
    for i in range(1, k + 1):
        train = blocks[0][0] if anchored else blocks[i - 1][0]
        folds.append(Fold(i, train, blocks[i - 1][-1], blocks[i][0], blocks[i][-1]))
    return folds


def chain_equity(curves: Sequence[pd.Series], capital: float) -> pd.Series:
    """The test periods compounded: each test run's equity (it starts at ``capital``) scaled by
    the previous period's chained final equity over the capital, so the chain starts at the capital."""
    parts, level = [], float(capital)
    for curve in curves:
        if curve is None or len(curve) == 0:
            continue
        scaled = curve.astype(float) * (level / float(capital))
        parts.append(scaled)
        level = float(scaled.iloc[-1])
    if not parts:
        return pd.Series(dtype=float, name="equity")
    out = pd.concat(parts)
    out.name = "equity"
    return out
