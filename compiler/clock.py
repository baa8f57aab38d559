"""Exchange clock arithmetic shared by both evaluators (SPEC §2.3).

Every timeframe is aligned to New York midnight: a bar of timeframe ``tf`` stamped
``T`` covers ``(T - tf, T]``.  Timeframes that divide an hour are the same on the
UTC clock (New York's offset is a whole number of hours), so they use plain integer
arithmetic; larger ones (2h, 4h, 1d, 45m, ...) are computed on the local wall clock.

Each function has a vectorised form (numpy arrays of UTC nanoseconds) and a scalar
form for the incremental evaluator; tests hold them equal.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from rbts.dsl.exchange import EXCHANGE_CALENDAR, EXCHANGE_TZ

NS = 1_000_000_000
HOUR_NS = 3600 * NS
DAY_NS = 86_400 * NS
_ZONE = ZoneInfo(EXCHANGE_TZ)


# ----------------------------------------------------------------------------- offsets


def utc_offsets(ts: np.ndarray) -> np.ndarray:
    """New York's UTC offset (ns) at each UTC instant."""
    import pandas as pd

    if len(ts) == 0:
        return np.zeros(0, dtype=np.int64)
    idx = pd.DatetimeIndex(ts.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(EXCHANGE_TZ)
    local = idx.tz_localize(None).asi8
    return local - ts


_offset_cache: dict[int, int] = {}


def utc_offset(ts_ns: int) -> int:
    """Scalar :func:`utc_offsets`; cached per UTC hour (offsets change on the hour)."""
    hour = ts_ns // HOUR_NS
    off = _offset_cache.get(hour)
    if off is None:
        dt = datetime.fromtimestamp(hour * 3600, tz=timezone.utc).astimezone(_ZONE)
        off = int(dt.utcoffset().total_seconds()) * NS
        _offset_cache[hour] = off
    return off


# ----------------------------------------------------------------------------- buckets


def bucket_ends(ts: np.ndarray, tf_s: int) -> np.ndarray:
    """The close stamp of the ``tf_s`` bar holding each instant: the smallest clock
    multiple ``T >= ts`` (so a bar stamped exactly at ``T`` belongs to ``(T - tf, T]``)."""
    ts = np.asarray(ts, dtype=np.int64)
    tf = tf_s * NS
    if HOUR_NS % tf == 0:
        return ((ts - 1) // tf + 1) * tf
    local = ts + utc_offsets(ts)
    day = (local // DAY_NS) * DAY_NS
    end_local = day + (-(-(local - day) // tf)) * tf
    return ts + (end_local - local)


def bucket_end(ts_ns: int, tf_s: int) -> int:
    """Scalar :func:`bucket_ends`."""
    tf = tf_s * NS
    if HOUR_NS % tf == 0:
        return ((ts_ns - 1) // tf + 1) * tf
    local = ts_ns + utc_offset(ts_ns)
    day = (local // DAY_NS) * DAY_NS
    return ts_ns + (day + (-(-(local - day) // tf)) * tf - local)


def on_clock(ts: np.ndarray, tf_s: int) -> np.ndarray:
    """Which instants are clock multiples of ``tf_s`` (cycle instants)."""
    return bucket_ends(ts, tf_s) == np.asarray(ts, dtype=np.int64)


def local_seconds_of_day(ts: np.ndarray) -> np.ndarray:
    local = np.asarray(ts, dtype=np.int64) + utc_offsets(np.asarray(ts, dtype=np.int64))
    return (local % DAY_NS) // NS


def local_second_of_day(ts_ns: int) -> int:
    return ((ts_ns + utc_offset(ts_ns)) % DAY_NS) // NS


def local_day_number(ts_ns: int) -> int:
    """Days since 1970-01-01 on the New York calendar."""
    return (ts_ns + utc_offset(ts_ns)) // DAY_NS


# ----------------------------------------------------------------------------- sessions


@lru_cache(maxsize=8)
def sessions(calendar: str = EXCHANGE_CALENDAR, start_year: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(opens, closes, New York day numbers) of every regular session, UTC ns, sorted.

    exchange_calendars covers about 20 years back by default; older data asks for more.
    """
    import exchange_calendars as xcals
    import pandas as pd

    cal = xcals.get_calendar(calendar, start=f"{start_year}-01-01" if start_year else None)
    opens = pd.DatetimeIndex(cal.opens).as_unit("ns").asi8.copy()
    closes = pd.DatetimeIndex(cal.closes).as_unit("ns").asi8.copy()
    days = pd.DatetimeIndex(cal.sessions).as_unit("ns").asi8 // DAY_NS
    return opens, closes, days


def sessions_for(first_ts: int, calendar: str = EXCHANGE_CALENDAR) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The session table, extended back far enough to hold ``first_ts``."""
    table = sessions(calendar)
    if first_ts >= table[0][0]:
        return table
    year = int(np.datetime64(int(first_ts), "ns").astype("datetime64[Y]").astype(int)) + 1970
    return sessions(calendar, max(year, 1900))


def in_rth(ts: np.ndarray, calendar: str = EXCHANGE_CALENDAR) -> np.ndarray:
    """``ts`` lies in (open, close] of a regular session."""
    ts = np.asarray(ts, dtype=np.int64)
    if len(ts) == 0:
        return np.zeros(0, dtype=bool)
    opens, closes, _ = sessions_for(int(ts.min()), calendar)
    i = np.searchsorted(opens, ts, side="left") - 1
    ok = i >= 0
    j = np.clip(i, 0, len(closes) - 1)
    return ok & (ts <= closes[j]) & (ts > opens[j])


def in_rth_one(ts_ns: int, calendar: str = EXCHANGE_CALENDAR) -> bool:
    opens, closes, _ = sessions_for(ts_ns, calendar)
    i = bisect_left(opens, ts_ns) - 1
    return i >= 0 and opens[i] < ts_ns <= closes[i]


ETH_START_S = 4 * 3600
ETH_END_S = 20 * 3600


def in_eth(ts: np.ndarray, calendar: str = EXCHANGE_CALENDAR) -> np.ndarray:
    """``ts`` lies in (04:00, 20:00] New York time of a trading day."""
    ts = np.asarray(ts, dtype=np.int64)
    if len(ts) == 0:
        return np.zeros(0, dtype=bool)
    _, _, days = sessions_for(int(ts.min()), calendar)
    local = ts + utc_offsets(ts)
    day = local // DAY_NS
    sod = (local % DAY_NS) // NS
    trading = np.isin(day, days)
    frac = (local % NS) != 0
    after_start = (sod > ETH_START_S) | ((sod == ETH_START_S) & frac)
    return trading & after_start & ((sod < ETH_END_S) | ((sod == ETH_END_S) & ~frac))


_trading_days: dict[tuple[str, int], frozenset[int]] = {}


def in_eth_one(ts_ns: int, calendar: str = EXCHANGE_CALENDAR) -> bool:
    table = sessions_for(ts_ns, calendar)
    key = (calendar, int(table[0][0]))
    days = _trading_days.get(key)
    if days is None:
        days = _trading_days[key] = frozenset(int(d) for d in table[2])
    local = ts_ns + utc_offset(ts_ns)
    if local // DAY_NS not in days:
        return False
    within = local % DAY_NS
    return ETH_START_S * NS < within <= ETH_END_S * NS


def in_time_window(seconds_of_day, start_min: int, end_min: int):
    """``time between S and E``: start inclusive, end exclusive; S > E wraps midnight."""
    s, e = start_min * 60, end_min * 60
    if s <= e:
        return (seconds_of_day >= s) & (seconds_of_day < e)
    return (seconds_of_day >= s) | (seconds_of_day < e)
