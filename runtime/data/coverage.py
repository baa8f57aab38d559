"""What ``rbts data ls`` shows about each stored bar type: range, counts, holes, source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from rbts.runtime.settings import Settings


@dataclass(frozen=True)
class Coverage:
    """One stored bar type, as ``rbts data ls`` shows it."""

    symbol: str
    bar_type: str
    seconds: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    bars: int
    days: int
    gaps: int  # intraday holes longer than one bar (missing bars inside a day)
    missing_sessions: int  # XNYS sessions between first and last day with no bar
    source: str
    synthetic: bool
    damaged: tuple[str, ...] = ()  # files that cannot be read (the figures cover the others)



def summarise(symbol: str, name: str, seconds: int, frame: pd.DataFrame, info: dict, settings: Settings) -> Coverage:
    if frame.empty:
        return Coverage(symbol, name, seconds, None, None, 0, 0, 0, 0, info.get("source", "?"), bool(info.get("synthetic")))
    local = frame.index.tz_convert(settings.timezone)
    # a bar belongs to the day of its open: close time minus a hair
    day = (local - pd.Timedelta(1, "ns")).normalize()
    step = np.diff(frame.index.asi8)
    same_day = day[1:] == day[:-1]
    gaps = int(np.count_nonzero((step > seconds * 1_000_000_000) & same_day))
    days = pd.DatetimeIndex(day.unique())
    missing = _missing_sessions(days, settings) if seconds < 86400 else 0
    return Coverage(
        symbol, name, seconds, frame.index[0], frame.index[-1], len(frame), len(days), gaps, missing,
        info.get("source", "unknown"), bool(info.get("synthetic")),
    )  # fmt: skip


def _missing_sessions(days: pd.DatetimeIndex, settings: Settings) -> int:
    import exchange_calendars as xcals

    try:
        cal = xcals.get_calendar(settings.calendar)
        sessions = cal.sessions_in_range(days[0].tz_localize(None), days[-1].tz_localize(None))
    except Exception:  # outside the calendar's range: no opinion
        return 0
    have = set(days.tz_localize(None))
    return sum(1 for s in sessions if s not in have)
