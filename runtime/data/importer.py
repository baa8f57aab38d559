"""``rbts data import``: a vendor's CSV or Parquet bars into the catalog (SPEC §3).

Columns ``ts, open, high, low, close, volume`` (any case, extra columns
ignored); ``ts`` is each bar's CLOSE time, ISO 8601 with an offset or naive in
``tz``. The whole file is checked before anything is written; every bad row is
reported by its line number (CSV) or row number (Parquet). Re-importing a range
replaces the stored bars in it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rbts.dsl.errors import Diagnostic, RbtsError, Span, decode_text, source_lines
from rbts.dsl.limits import symbol_problem
from rbts.runtime.data import fixed, instruments
from rbts.runtime.data.bar_files import COLUMNS
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.data.dates import FIRST_YEAR, LAST_YEAR
from rbts.dsl.exchange import EXCHANGE_TZ

REQUIRED = ("ts", *COLUMNS)
TS_ALIASES = ("timestamp", "time", "datetime", "date", "date_time", "t")
MAX_REPORTED = 25
# the end of a time of day with an offset: ...00Z, ...00-05:00, ...00+0530, ...00+05
# (checked together with a ':' in the value, since the date "2025-03-03" also ends in "3-03")
_OFFSET_RE = r"\d(?:Z|z|[+-]\d{2}(?::?\d{2})?)$"
_NA = ["", "NaN", "nan", "NA", "N/A", "null", "NULL", "None"]
_NAT = np.iinfo(np.int64).min
_LAST_NS = pd.Timestamp(f"{LAST_YEAR + 1}-01-01", tz="UTC").value  # ts are uint64 ns: none before 1970
_SESSION_STARTS = [9 * 60 + 30, 4 * 60]  # minutes after midnight: RTH and ETH opens
_SESSION_ENDS = [13 * 60, 16 * 60, 20 * 60]  # early close, RTH and ETH closes


@dataclass
class ImportResult:
    symbol: str
    rows: int
    first: pd.Timestamp
    last: pd.Timestamp
    seconds: int
    replaced: int  # stored bars in [first, last] that this import replaced
    notes: list[str] = field(default_factory=list)


@dataclass
class _Source:
    """A loaded file: its raw columns and how to name a row in messages."""

    path: Path
    frame: pd.DataFrame  # required columns only, as read
    lines: np.ndarray | None  # CSV: file line number of each data row
    text: str | None  # CSV: the file's text (for the caret under a bad field)
    header: list[str]

    def where(self, row: int) -> str:
        return f"line {self.lines[row]}" if self.lines is not None else f"row {row + 1}"

    def span(self, row: int, column: str) -> Span | None:
        if self.lines is None or self.text is None:
            return None
        return _field_span(self.text, int(self.lines[row]), self.header.index(column) if column in self.header else 0)


def import_file(
    store: BarStore,
    path: str | Path,
    symbol: str,
    tz: str = EXCHANGE_TZ,
    stamped: str = "close",
    progress: Callable[[str], None] | None = None,
) -> ImportResult:
    """Check ``path`` completely, then store it for ``symbol``; nothing is written if any row is bad."""
    path = Path(path)
    problem = symbol_problem(str(symbol))  # the language's rule: bars no strategy could name are never stored
    if problem:
        raise RbtsError(f"--symbol: {problem}")
    try:
        return _import(store, path, symbol, tz, stamped, progress or (lambda _msg: None))
    except RbtsError as exc:  # name the file in every message
        raise exc.with_source(str(path), None) from None


def _import(store: BarStore, path: Path, symbol: str, tz: str, stamped: str, step: Callable[[str], None]) -> ImportResult:
    _check_tz(tz)
    symbol = instruments.normalize(symbol)
    instruments.lookup(symbol, store.settings)  # validates rbts.yaml overrides early
    if stamped not in ("close", "open"):
        raise RbtsError(f"--stamped must be 'close' or 'open', not {stamped!r}")
    step("reading")
    source = _read(path)
    step("checking")
    frame, seconds, notes = _validate(source, tz, stamped, instruments.price_precision(symbol, store.settings))
    step("writing")
    demo_types = store.synthetic_bar_types(symbol)
    if demo_types:
        notes.append(f"removed the SYNTHETIC demo bars of {symbol} (real and synthetic bars are never mixed)")
    written = store.write_frame(symbol, frame, seconds, {"source": f"imported from {path.name}", "synthetic": False, "file": str(path.resolve())})
    replaced = 0 if demo_types else written.replaced
    for was, now in written.set_aside:
        notes.append(f"set aside the damaged catalog file {was.name} (now {now}); any of its bars outside the imported range are no longer in the catalog")
    return ImportResult(symbol, len(frame), frame.index[0], frame.index[-1], seconds, replaced, notes)


def _check_tz(tz: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise RbtsError(f"--tz: unknown time zone {tz!r} (use an IANA name like {EXCHANGE_TZ})") from None


# --------------------------------------------------------------------------- reading


def _read(path: Path) -> _Source:
    if not path.exists():
        raise RbtsError("no such file")
    if path.is_dir():
        raise RbtsError("this is a folder; give a .csv or .parquet file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise RbtsError("expected a .csv or .parquet file")
    try:
        return _read_csv(path) if suffix == ".csv" else _read_parquet(path)
    except OSError as exc:
        raise RbtsError(f"cannot read the file: {exc.strerror or exc}") from None


def _read_csv(path: Path) -> _Source:
    text = decode_text(path.read_bytes(), str(path))
    lines = source_lines(text)  # split as diagnostics count lines; a CR-only file falls back to row numbers
    nonblank = np.array([i + 1 for i, line in enumerate(lines) if line.strip()], dtype=np.int64)
    if len(nonblank) == 0:
        raise RbtsError("the file is empty")
    header_line = re.split(r"\r\n?", lines[nonblank[0] - 1], maxsplit=1)[0]  # a CR-only file is one "\n" line
    try:
        header = [h.strip().lower() for h in next(csv.reader([header_line]), [])]  # quoted names may hold commas
    except csv.Error as exc:
        raise RbtsError(f"cannot read the header line as CSV: {exc}") from None
    header_span = Span(int(nonblank[0]), 1, int(nonblank[0]), len(header_line) + 1)
    _check_columns(path, header, header_span, text)
    try:
        # ts stays text (parsed below); numbers are parsed by the C reader, junk leaves a column as text
        names = [str(c) for c in pd.read_csv(io.StringIO(text), nrows=0).columns]
        ts_name = next((c for c in names if c.strip().lower() == "ts"), None)
        if ts_name is None:  # the header read differently by pandas (a quote left open): name what it saw
            _check_columns(path, [c.strip().lower() for c in names], header_span, text)
        raw = pd.read_csv(io.StringIO(text), dtype={ts_name: str}, skip_blank_lines=True, keep_default_na=False, na_values=_NA)
    except (pd.errors.ParserError, ValueError) as exc:
        raise RbtsError(f"cannot read as CSV: {exc}") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    if len(raw) != len(nonblank) - 1:  # quoted newlines: fall back to row numbers
        return _Source(path, raw[list(REQUIRED)], None, None, header)
    return _Source(path, raw[list(REQUIRED)], nonblank[1:], text, header)


def _read_parquet(path: Path) -> _Source:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise RbtsError(f"cannot read as Parquet: {exc}") from None
    frame = table.to_pandas()
    if frame.index.name and frame.index.name.lower() in ("ts", *TS_ALIASES) and "ts" not in [str(c).lower() for c in frame.columns]:
        frame = frame.reset_index()
    header = [str(c).strip().lower() for c in frame.columns]
    _check_columns(path, header, None, None)
    frame.columns = header
    return _Source(path, frame[list(REQUIRED)].reset_index(drop=True), None, None, header)


def _check_columns(path: Path, header: list[str], span: Span | None, text: str | None) -> None:
    dupes = sorted({h for h in header if header.count(h) > 1 and h in REQUIRED})
    if dupes:
        raise RbtsError(Diagnostic(f"column {dupes[0]!r} appears more than once (names are case-insensitive)", span), filename=str(path), source=text)
    missing = [c for c in REQUIRED if c not in header]
    if not missing:
        return
    hint = None
    if "ts" in missing:
        alias = next((h for h in header if h in TS_ALIASES), None)
        if alias:
            hint = f"rename {alias!r} to 'ts' once you are sure it holds each bar's CLOSE time"
    found = ", ".join(repr(h) if "," in h or not h.strip() else h for h in header) or "none"
    raise RbtsError(
        Diagnostic(f"missing required column(s) {', '.join(missing)}; found: {found}; need: {', '.join(REQUIRED)}", span, hint=hint),
        filename=str(path), source=text,
    )  # fmt: skip


def _field_span(text: str, line_no: int, column: int) -> Span:
    line = source_lines(text)[line_no - 1].rstrip("\r")
    parts = line.split(",")
    col = sum(len(p) + 1 for p in parts[:column]) + 1
    width = len(parts[column]) if column < len(parts) else 1
    return Span(line_no, col, line_no, col + max(1, width))


# --------------------------------------------------------------------------- checking


class _Problems:
    def __init__(self, source: _Source):
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


def _validate(source: _Source, tz: str, stamped: str, precision: int) -> tuple[pd.DataFrame, int, list[str]]:
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

    seconds = _bar_seconds(ts, source)
    index = pd.DatetimeIndex(ts.astype("datetime64[ns]"), name="ts").tz_localize("UTC")
    notes: list[str] = []
    if stamped == "open":
        index = index + pd.Timedelta(seconds=seconds)
        notes.append(f"shifted every ts by one bar ({instruments.bar_spec(seconds)}) from open to close time")
    else:
        _reject_open_stamped(index, seconds, EXCHANGE_TZ, source)
    _check_clock_grid(index, seconds, source)
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


def _bar_seconds(ts: np.ndarray, source: _Source) -> int:
    """The bar size: the most common step between consecutive bars."""
    if len(ts) < 2:
        raise RbtsError("a single bar is not enough to tell the bar size; import at least two")
    steps = np.diff(ts) // 1_000_000_000
    values, counts = np.unique(steps, return_counts=True)
    seconds = int(values[np.argmax(counts)])
    if seconds >= 86400 and seconds % 86400 in (3600 * 23, 3600):  # daily across a DST change
        seconds = 86400
    if seconds <= 0:
        raise RbtsError("cannot infer the bar size from the timestamps")
    if not instruments.storable_seconds(seconds):
        r = int(np.flatnonzero(steps == seconds)[0]) + 1
        raise _row_error(source, r, f"the bars are {_seconds_text(seconds)} apart (the most common step between rows), "
                                    f"a bar size the catalog cannot store; bar sizes are {instruments.STORABLE_SIZES}")
    off_grid = np.flatnonzero((steps % seconds != 0) & (seconds < 86400))
    if len(off_grid):
        r = int(off_grid[0]) + 1
        raise _row_error(source, r, f"ts is off the {instruments.bar_spec(seconds)} grid the other bars follow (bar size inferred: {seconds} s)")
    return seconds


def _row_error(source: _Source, row: int, message: str) -> RbtsError:
    """An error about a row's ts: positioned in a CSV, "row N: ..." in a Parquet file."""
    span = source.span(row, "ts")
    return RbtsError(Diagnostic(message if span else f"{source.where(row)}: {message}", span),
                     filename=str(source.path), source=source.text)


def _seconds_text(seconds: int) -> str:
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    raise AssertionError(seconds)  # pragma: no cover - 1 divides every number


def _check_clock_grid(index: pd.DatetimeIndex, seconds: int, source: _Source) -> None:
    """Bars must close on New York's clock grid (SPEC §2.3): 09:31:00 for 1m, 10:00 for 1h, midnight for 1d."""
    step = min(seconds, 86400)
    if 86400 % step:
        return
    wall = index.tz_convert(EXCHANGE_TZ).tz_localize(None).as_unit("ns").asi8
    off = np.flatnonzero(wall % (step * 1_000_000_000))
    if len(off) == 0:
        return
    r = int(off[0])
    when = index[r].tz_convert(EXCHANGE_TZ).strftime("%Y-%m-%d %H:%M:%S")
    what = "midnight at the end of their day" if step == 86400 else f"whole multiples of {instruments.bar_spec(step).rsplit('-', 1)[0].lower()} on the New York clock"
    raise RbtsError(
        Diagnostic(f"bars must close at {what}; this one closes at {when} New York ({len(off)} such bars)", source.span(r, "ts")),
        filename=str(source.path), source=source.text,
    )  # fmt: skip


def _reject_open_stamped(index: pd.DatetimeIndex, seconds: int, tz: str, source: _Source) -> None:
    """Refuse vendor files stamped at the bar OPEN, a classic source of look-ahead."""
    local = index.tz_convert(tz)
    if seconds >= 86400:
        weekdays = set(local[local.hour == 0].day_of_week)
        if weekdays and 0 in weekdays and 5 not in weekdays:
            raise RbtsError(
                "daily bars stamped 00:00 on Monday..Friday are stamped at the session DATE (their open); "
                "rbts stamps a daily bar at its close, midnight at the END of its day. "
                "Import with --stamped open to shift every bar by one day, or fix the ts column."
            )
        return
    if seconds > 3600:
        return
    wall = local.tz_localize(None).as_unit("ns").asi8 // 60_000_000_000  # minutes since epoch, wall clock
    day, minute = wall // 1440, wall % 1440
    starts = np.flatnonzero(np.concatenate(([True], day[1:] != day[:-1])))
    ends = np.concatenate((starts[1:], [len(day)])) - 1
    first, last_close = minute[starts], minute[ends] + seconds // 60
    open_like = np.isin(first, _SESSION_STARTS) & np.isin(last_close, _SESSION_ENDS)
    if len(starts) and open_like.mean() >= 0.8:
        example = local[starts[int(np.flatnonzero(open_like)[0])]]
        hhmm = lambda m: f"{m // 60:02d}:{m % 60:02d}"  # noqa: E731
        raise RbtsError(
            f"the bars look OPEN-stamped: on {int(open_like.sum())} of {len(starts)} days the first bar is at "
            f"{hhmm(int(first[0]))} and the last at {hhmm(int(minute[ends[0]]))} ({tz}), e.g. {example.date()}. rbts needs each bar's "
            f"CLOSE time (1-minute RTH bars run 09:31..16:00); using open times would let every rule see one bar into the future. "
            f"Import with --stamped open to shift every bar by {instruments.bar_spec(seconds).rsplit('-', 1)[0].lower()}."
        )
