"""Date arguments -> inclusive nanosecond bounds on bar close times (the catalog's reading rule).

``'YYYY-MM-DD'`` strings are New York calendar days, both ends inclusive; a bar belongs to the
day its interval lies in, so a day D holds the bars stamped in (D 00:00, D+1 00:00] New York
time. ``pd.Timestamp``/datetime arguments are exact instants (naive ones in New York time).
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from rbts.dsl.errors import RbtsError
from rbts.dsl.exchange import EXCHANGE_TZ

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FIRST_YEAR, LAST_YEAR = 1970, 2199  # the years bars can be stored for (the importer refuses others)

DateLike = str | dt.date | dt.datetime | pd.Timestamp | None


def time_bounds(start: DateLike = None, end: DateLike = None, tz: str = EXCHANGE_TZ) -> tuple[int | None, int | None]:
    """Inclusive ``(lo, hi)`` nanosecond bounds on bar close times (None = open end)."""
    lo = _bound(start, tz, is_end=False)
    hi = _bound(end, tz, is_end=True)
    if lo is not None and hi is not None and lo > hi:
        raise RbtsError(f"start {start} is after end {end}")
    return lo, hi


def _bound(value: DateLike, tz: str, *, is_end: bool) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = value.isoformat()
    is_day = isinstance(value, str) and bool(_DATE_RE.match(value.strip()))
    expected = "YYYY-MM-DD" if is_day else "YYYY-MM-DD or an ISO 8601 time"
    try:
        stamp = pd.Timestamp(value.strip() if isinstance(value, str) else value)
    except (ValueError, TypeError, OverflowError):
        raise RbtsError(f"bad date {value!r}: expected {expected}") from None
    if pd.isna(stamp):
        raise RbtsError(f"bad date {value!r}: expected {expected}")
    if not FIRST_YEAR <= stamp.year <= LAST_YEAR:
        raise RbtsError(f"date {value!r} is outside {FIRST_YEAR}..{LAST_YEAR}, the years the catalog holds")
    try:
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize(tz)
    except ValueError:  # a local time skipped or repeated by a DST change
        raise RbtsError(f"{value!r} does not exist or is ambiguous in {tz} (a DST change); give it an offset") from None
    if is_day:  # a day D holds the bars closing in (D 00:00, D+1 00:00]
        return int((stamp + pd.Timedelta(days=1)).as_unit("ns").value) if is_end else int(stamp.as_unit("ns").value) + 1
    return int(stamp.tz_convert("UTC").as_unit("ns").value)
