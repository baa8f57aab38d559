"""Checking every row of an imported bar file before anything is stored: numbers, prices and
volumes the catalog can hold, times (ISO 8601, an offset or the ``--tz``; DST gaps), order and
duplicates; every bad row is reported (the first 25) and nothing is imported."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from rbts.dsl.errors import Diagnostic, RbtsError
from rbts.dsl.exchange import EXCHANGE_TZ
from rbts.runtime.data import fixed, instruments
from rbts.runtime.data.bar_files import COLUMNS
from rbts.runtime.data.dates import FIRST_YEAR, LAST_YEAR
from rbts.runtime.data.import_read import BarSource
from rbts.runtime.data.import_timing import bar_seconds, check_clock_grid, reject_open_stamped

MAX_REPORTED = 25
# the end of a time of day with an offset: ...00Z, ...00-05:00, ...00+0530, ...00+05
# (checked together with a ':' in the value, since the date "2025-03-03" also ends in "3-03")
_OFFSET_RE = r"\d(?:Z|z|[+-]\d{2}(?::?\d{2})?)$"
_NAT = np.iinfo(np.int64).min
_LAST_NS = pd.Timestamp(f"{LAST_YEAR + 1}-01-01", tz="UTC").value  # ts are uint64 ns: none before 1970


class _Problems:
    def __init__(self, source: BarSource):
        self.source = source
        self.items: list[tuple[int, str, str]] = []  # (row, column, message)

    def add(self, rows: np.ndarray, column: str, message: Callable[[int], str]) -> None:
        for row in np.flatnonzero(rows) if rows.dtype == bool else rows:
            self.items.append((int(row), column, message(int(row))))

    def _diagnostic(self, row: int, column: str, message: str) -> Diagnostic:
        span = self.source.span(row, column)
        return Diagnostic(message if span else f"{self.source.where(row)}: {message}", span)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        self.items.sort(key=lambda item: item[0])
        shown = self.items[:MAX_REPORTED]
        diags = [self._diagnostic(r, col, msg) for r, col, msg in shown]
        rows = len({r for r, _, _ in self.items})
        more = f" ({len(self.items) - MAX_REPORTED} more problems not shown)" if len(self.items) > MAX_REPORTED else ""
        diags.append(Diagnostic(f"{rows} bad row(s){more}; nothing was imported"))
        raise RbtsError(diags, filename=str(self.source.path), source=self.source.text)


def validate_rows(source: BarSource, tz: str, stamped: str, precision: int) -> tuple[pd.DataFrame, int, list[str]]:
    raw = source.frame
    if raw.empty:
        raise RbtsError("no data rows")
    problems = _Problems(source)
    ts = _parse_ts(raw["ts"], tz, problems)
    values = {}
    for col in COLUMNS:
        series = raw[col]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            shown, num = series, series.to_numpy(np.float64, na_value=np.nan)
        else:  # text: some field is not a number
            shown = series.astype(str).str.strip()
            num = pd.to_numeric(shown, errors="coerce").to_numpy(np.float64, na_value=np.nan)
        bad = ~np.isfinite(num)
        problems.add(bad, col, lambda r, c=col, s=shown: _not_a_number(c, s.iloc[r]))
        values[col] = num
    o, h, lo, c, v = (values[k] for k in COLUMNS)
    with np.errstate(invalid="ignore", over="ignore"):  # inf/NaN and 1e308 * 10**precision are reported, not warned
        for col in ("open", "high", "low", "close"):
            problems.add(values[col] <= 0, col, lambda r, k=col: f"{k} is {values[k][r]:g}; prices must be positive")
        problems.add(v < 0, "volume", lambda r: f"volume is {v[r]:g}; it cannot be negative")
        for col in ("open", "high", "low", "close"):
            problems.add(values[col] > fixed.PRICE_MAX, col, lambda r, k=col: f"{k} is {values[k][r]:g}; the catalog stores prices up to {fixed.PRICE_MAX:,.0f}")
            rounds_to_zero = (values[col] > 0) & (np.round(values[col], precision) <= 0)
            problems.add(rounds_to_zero, col, lambda r, k=col: f"{k} is {values[k][r]:g}, which is 0 at this symbol's {precision} decimals")
        problems.add(v > fixed.QUANTITY_MAX, "volume", lambda r: f"volume is {v[r]:g}; the catalog stores volumes up to {fixed.QUANTITY_MAX:,.0f}")
        problems.add(h < lo, "high", lambda r: f"high {h[r]:g} is below low {lo[r]:g}")
        problems.add((h >= lo) & (h < np.maximum(o, c)), "high", lambda r: f"high {h[r]:g} is below open/close {max(o[r], c[r]):g}")
        problems.add((h >= lo) & (lo > np.minimum(o, c)), "low", lambda r: f"low {lo[r]:g} is above open/close {min(o[r], c[r]):g}")
    outside = (ts != _NAT) & ((ts < 0) | (ts >= _LAST_NS))
    problems.add(outside, "ts", lambda r: f"ts {str(raw['ts'].iloc[r])!r} is outside {FIRST_YEAR}..{LAST_YEAR}, the years the catalog holds")
    _check_order(ts, raw["ts"], problems)
    problems.raise_if_any()

    seconds = bar_seconds(ts, source)
    index = pd.DatetimeIndex(ts.astype("datetime64[ns]"), name="ts").tz_localize("UTC")
    notes: list[str] = []
    if stamped == "open":
        index = index + pd.Timedelta(seconds=seconds)
        notes.append(f"shifted every ts by one bar ({instruments.bar_spec(seconds)}) from open to close time")
    else:
        reject_open_stamped(index, seconds, EXCHANGE_TZ, source)
    check_clock_grid(index, seconds, source)
    frame = pd.DataFrame({k: values[k] for k in COLUMNS}, index=index)
    rounded = frame[list(COLUMNS[:4])].round(precision)
    if not np.allclose(rounded.to_numpy(), frame[list(COLUMNS[:4])].to_numpy(), rtol=0, atol=1e-9):
        notes.append(f"prices rounded to {precision} decimals (the symbol's tick)")
    frame[list(COLUMNS[:4])] = rounded
    if not np.array_equal(np.round(v), v):
        notes.append("volumes rounded to whole units")
        frame["volume"] = np.round(v)
    return frame, seconds, notes


def _not_a_number(column: str, value) -> str:
    if pd.isna(value) or str(value).strip().lower() in ("", "nan", "none", "null"):
        return f"{column} is missing (NaN)"
    if isinstance(value, str):
        return f"{column} is {value!r}, not a number"
    return f"{column} is {value}, not a finite number"


def _parse_ts(series: pd.Series, tz: str, problems: _Problems) -> np.ndarray:
    """int64 ns UTC per row (``iNaT`` where bad, with a problem recorded)."""
    nat = np.iinfo(np.int64).min
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = _within_years(pd.DatetimeIndex(series), series, problems, np.arange(len(series)))
        stamps = stamps.tz_convert("UTC") if stamps.tz is not None else _localize(stamps, tz, series, problems)
        out = stamps.as_unit("ns").asi8.copy()
        problems.add(out == nat, "ts", lambda r: "ts is missing")
        return out
    if pd.api.types.is_numeric_dtype(series):
        raise RbtsError("the ts column holds numbers; give ISO 8601 times (2025-03-03T09:31:00-05:00) or a datetime column "
                        "(epoch numbers are ambiguous: seconds, milliseconds or nanoseconds?)")
    text = series.fillna("").astype(str).str.strip()
    unparsed = np.zeros(len(text), dtype=bool)
    # the regex runs on the distinct endings only (a year of minutes has few of them)
    tails = text.str[-9:]
    offset_of = {t: bool(re.search(_OFFSET_RE, t)) for t in pd.unique(tails)}
    has_time = text.str.contains(":", regex=False).to_numpy(dtype=bool)
    has_offset = tails.map(offset_of).to_numpy(dtype=bool) & has_time
    blank = (text == "").to_numpy()
    out = np.full(len(text), nat, dtype=np.int64)
    if has_offset.any():
        parsed = pd.DatetimeIndex(pd.to_datetime(text[has_offset], format="ISO8601", utc=True, errors="coerce"))
        unparsed[has_offset] = np.asarray(parsed.isna())
        out[has_offset] = _within_years(parsed, text, problems, np.flatnonzero(has_offset)).as_unit("ns").asi8
    naive = ~has_offset & ~blank
    if naive.any():
        if has_offset.any():
            first = int(np.flatnonzero(naive if has_offset[0] else has_offset)[0])
            problems.add(np.array([first]), "ts", lambda r: f"ts {text.iloc[r]!r} mixes naive times and times with an offset in one file")
        parsed = pd.DatetimeIndex(pd.to_datetime(text[naive], format="ISO8601", errors="coerce"))
        unparsed[naive] = np.asarray(parsed.isna())
        parsed = _within_years(parsed, text, problems, np.flatnonzero(naive))
        local = _localize(parsed, tz, text, problems, rows=np.flatnonzero(naive))
        out[naive] = local.as_unit("ns").asi8
    problems.add(unparsed, "ts", lambda r: f"ts {text.iloc[r]!r} is not an ISO 8601 time")
    problems.add(blank, "ts", lambda r: "ts is missing")
    return out


def _within_years(stamps: pd.DatetimeIndex, shown: pd.Series, problems: _Problems, rows: np.ndarray) -> pd.DatetimeIndex:
    """``stamps`` with the times outside the catalog's years as NaT, a problem each (their
    nanoseconds would overflow; pandas reads year 1 or 9999 in coarser units)."""
    years = np.asarray(stamps.year, dtype=float)  # NaT: NaN, never outside
    outside = (years < FIRST_YEAR) | (years > LAST_YEAR)
    if not outside.any():
        return stamps
    problems.add(rows[outside], "ts", lambda r: f"ts {str(shown.iloc[r])!r} is outside {FIRST_YEAR}..{LAST_YEAR}, the years the catalog holds")
    return stamps.where(~outside)


def _localize(stamps: pd.DatetimeIndex, tz: str, shown: pd.Series, problems: _Problems, rows: np.ndarray | None = None) -> pd.DatetimeIndex:
    if stamps.tz is not None:
        return stamps.tz_convert("UTC")
    try:
        local = stamps.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    except Exception:
        raise RbtsError(f"unknown time zone {tz!r} (use an IANA name like {EXCHANGE_TZ})") from None
    lost = np.asarray(local.isna() & ~stamps.isna())
    rows = np.arange(len(stamps)) if rows is None else rows
    problems.add(rows[lost], "ts", lambda r: f"ts {str(shown.iloc[r])!r} does not exist or is ambiguous in {tz} (a DST change); give it an offset")
    return local.tz_convert("UTC")


def _check_order(ts: np.ndarray, raw: pd.Series, problems: _Problems) -> None:
    nat = np.iinfo(np.int64).min
    valid = np.flatnonzero(ts != nat)
    if len(valid) < 2:
        return
    t = ts[valid]
    # for each row, the row holding the largest ts so far (ties: the first of them)
    running = np.maximum.accumulate(t)
    holder = valid[np.maximum.accumulate(np.where(t == running, np.arange(len(t)), 0))]
    first_of = pd.Series(valid).groupby(t).transform("first").to_numpy()
    dup = np.zeros(len(t), dtype=bool)
    dup[1:] = first_of[1:] != valid[1:]
    back = np.zeros(len(t), dtype=bool)
    back[1:] = (t[1:] < running[:-1]) & ~dup[1:]
    where = problems.source.where
    problems.add(valid[dup], "ts", lambda r: f"duplicate ts {str(raw.iloc[r])!r}: {where(int(first_of[np.searchsorted(valid, r)]))} has the same bar")
    problems.add(
        valid[back], "ts",
        lambda r: f"ts {str(raw.iloc[r])!r} is out of order: earlier than {str(raw.iloc[int(holder[np.searchsorted(valid, r) - 1])])!r} on {where(int(holder[np.searchsorted(valid, r) - 1]))}",
    )  # fmt: skip
