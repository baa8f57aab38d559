"""The bar catalog: a Nautilus ``ParquetDataCatalog`` under ``<home>/catalog``.

Layout (Nautilus' own, so ``ParquetDataCatalog(path).bars()`` and the replay
client read it unchanged)::

    catalog/data/bar/AAPL.NASDAQ-1-MINUTE-LAST-EXTERNAL/<first>_<last>.parquet
    catalog/data/equity/AAPL.NASDAQ/...              the instruments
    catalog/rbts_meta.json                           source of each bar type (synthetic or not)

:class:`BarStore` is the one loading API for the compiler, backtests, the UI and
the replay bot. Frames have a UTC ``DatetimeIndex`` named ``ts`` holding each
bar's **close** time and float64 columns ``open high low close volume``.

Date arguments: ``'YYYY-MM-DD'`` strings are New York calendar days, both ends
inclusive; a bar belongs to the day its interval lies in, so a day D holds the
bars stamped in (D 00:00, D+1 00:00] New York time. ``pd.Timestamp``/datetime
arguments are exact instants (naive ones in New York time), both inclusive.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rbts.dsl.errors import RbtsError
from rbts.runtime.data import fixed, instruments
from rbts.runtime.files import atomic_write

if TYPE_CHECKING:
    from rbts.runtime.settings import Settings

NY = "America/New_York"
COLUMNS = ("open", "high", "low", "close", "volume")
VOLUME_PRECISION = 0
META_FILE = "rbts_meta.json"
_BAR_DIR = ("data", "bar")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HOW_TO_GET = "create the synthetic demo set with `rbts data demo`, or import a file with `rbts data import FILE --symbol SYM`"

DateLike = str | dt.date | dt.datetime | pd.Timestamp | None


# --------------------------------------------------------------------------- dates


def time_bounds(start: DateLike = None, end: DateLike = None, tz: str = NY) -> tuple[int | None, int | None]:
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
    if isinstance(value, str):
        text = value.strip()
        if _DATE_RE.match(text):
            try:
                day = pd.Timestamp(text).tz_localize(tz)
            except ValueError:
                raise RbtsError(f"bad date {value!r}: expected YYYY-MM-DD") from None
            # a day D holds the bars closing in (D 00:00, D+1 00:00]
            if is_end:
                return int((day + pd.Timedelta(days=1)).as_unit("ns").value)
            return int(day.as_unit("ns").value) + 1
        try:
            value = pd.Timestamp(text)
        except ValueError:
            raise RbtsError(f"bad date {value!r}: expected YYYY-MM-DD or an ISO 8601 time") from None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(tz)
    return int(stamp.tz_convert("UTC").as_unit("ns").value)


# --------------------------------------------------------------------------- frames <-> tables


def empty_frame() -> pd.DataFrame:
    index = pd.DatetimeIndex([], tz="UTC", name="ts").as_unit("ns")
    return pd.DataFrame({c: np.empty(0, dtype=np.float64) for c in COLUMNS}, index=index)


def frame_to_table(frame: pd.DataFrame, bar_type: str, price_precision: int, extra: dict[str, str] | None = None) -> pa.Table:
    """A bar frame as the Arrow table Nautilus writes for ``bar_type`` (same schema and metadata)."""
    ts = pa.array(frame.index.as_unit("ns").asi8.view(np.uint64), type=pa.uint64())
    arrays = [fixed.encode(frame[c].to_numpy(np.float64), price_precision) for c in COLUMNS[:4]]
    arrays.append(fixed.encode(frame["volume"].to_numpy(np.float64), VOLUME_PRECISION))
    meta = {
        "bar_type": bar_type,
        "instrument_id": bar_type.rsplit("-", 4)[0],
        "price_precision": str(price_precision),
        "size_precision": str(VOLUME_PRECISION),
    }
    meta.update(extra or {})
    return pa.Table.from_arrays([*arrays, ts, ts], schema=fixed.BAR_SCHEMA.with_metadata(meta))


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    price_precision = int(meta.get("price_precision", 2))
    size_precision = int(meta.get("size_precision", 0))
    ts = table.column("ts_init").to_numpy().astype("datetime64[ns]")
    index = pd.DatetimeIndex(ts, name="ts").tz_localize("UTC")
    data = {c: fixed.decode(table.column(c), price_precision) for c in COLUMNS[:4]}
    data["volume"] = fixed.decode(table.column("volume"), size_precision)
    return pd.DataFrame(data, index=index)


def _file_name(first_ns: int, last_ns: int) -> str:
    """Nautilus' file naming: ``2025-01-02T14-31-00-000000000Z_...Z.parquet``."""

    def stamp(ns: int) -> str:
        t = pd.Timestamp(ns, tz="UTC")
        return t.strftime("%Y-%m-%dT%H-%M-%S-") + f"{ns % 1_000_000_000:09d}Z"

    return f"{stamp(first_ns)}_{stamp(last_ns)}.parquet"


# --------------------------------------------------------------------------- the store


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


_CACHE: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_CACHE_SIZE = 64
_CACHE_LOCK = threading.Lock()  # the UI loads from several threads


class BarStore:
    """Read and write bars in the catalog of a home folder."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.root = Path(settings.catalog_dir)

    # ---- layout

    @property
    def bar_root(self) -> Path:
        return self.root.joinpath(*_BAR_DIR)

    def _dir(self, bar_type: str) -> Path:
        return self.bar_root / bar_type

    def _bar_types(self) -> list[str]:
        if not self.bar_root.is_dir():
            return []
        return sorted(p.name for p in self.bar_root.iterdir() if p.is_dir() and any(p.glob("*.parquet")))

    def _bar_types_of(self, symbol: str) -> list[tuple[int, str]]:
        """(seconds, bar type) of a symbol's stored EXTERNAL bars, smallest first."""
        prefix = instruments.lookup(symbol, self.settings).instrument_id_str + "-"
        found = []
        for name in self._bar_types():
            if name.startswith(prefix) and name.endswith("-LAST-EXTERNAL"):
                spec = name[len(prefix) :]
                try:
                    found.append((instruments.spec_seconds(spec), name))
                except (KeyError, ValueError):
                    continue
        return sorted(found)

    def symbols(self) -> list[str]:
        """DSL symbols that have bars, sorted."""
        out = set()
        for name in self._bar_types():
            iid = name.rsplit("-", 4)[0]
            out.add(instruments.symbol_of(iid, self.settings))
        return sorted(out)

    def has(self, symbol: str) -> bool:
        return bool(self._bar_types_of(symbol))

    def bar_seconds(self, symbol: str) -> int:
        """The base bar size of a symbol's stored bars (the smallest stored)."""
        return self._resolve(symbol, None)[0]

    def _resolve(self, symbol: str, seconds: int | None) -> tuple[int, str]:
        stored = self._bar_types_of(symbol)
        if not stored:
            raise RbtsError(f"no bars for {instruments.normalize(symbol)} in {self.root}: {_HOW_TO_GET}")
        if seconds is None:
            return stored[0]
        for pair in stored:
            if pair[0] == int(seconds):
                return pair
        sizes = ", ".join(instruments.bar_spec(s) for s, _ in stored)
        raise RbtsError(f"no {instruments.bar_spec(int(seconds))} bars for {instruments.normalize(symbol)} (stored: {sizes})")

    # ---- reading

    def load_frame(self, symbol: str, start: DateLike = None, end: DateLike = None, seconds: int | None = None) -> pd.DataFrame:
        """Bars of ``symbol`` in [start, end] (see module doc), as a frame indexed by close time."""
        _, name = self._resolve(symbol, seconds)
        lo, hi = time_bounds(start, end, self.settings.timezone)
        frame = self._read_all(name)
        if lo is None and hi is None:
            return frame.copy()
        ts = frame.index.asi8
        a = 0 if lo is None else int(np.searchsorted(ts, lo, side="left"))
        b = len(ts) if hi is None else int(np.searchsorted(ts, hi, side="right"))
        return frame.iloc[a:b].copy()

    def load_frames(self, symbols, start: DateLike = None, end: DateLike = None, seconds: int | None = None) -> dict[str, pd.DataFrame]:
        """``load_frame`` for several symbols; every missing symbol is named in one error."""
        missing = [instruments.normalize(s) for s in symbols if not self.has(s)]
        if missing:
            raise RbtsError(f"no bars for {', '.join(missing)} in {self.root}: {_HOW_TO_GET}")
        return {instruments.normalize(s): self.load_frame(s, start, end, seconds) for s in symbols}

    def load_bars(self, symbol: str, start: DateLike = None, end: DateLike = None, seconds: int | None = None) -> list:
        """The same bars as Nautilus ``Bar`` objects of :func:`instruments.bar_type` (EXTERNAL).

        Read through Nautilus' own Rust catalog reader, which builds ``Bar``s about
        twice as fast as ``Bar.from_raw_arrays_to_list`` on decoded columns.
        """
        _, name = self._resolve(symbol, seconds)
        lo, hi = time_bounds(start, end, self.settings.timezone)
        stamp = lambda ns: None if ns is None else pd.Timestamp(ns, tz="UTC")  # noqa: E731
        return self._nautilus_catalog().bars([name], start=stamp(lo), end=stamp(hi))

    def load_bars_merged(self, symbols, start: DateLike = None, end: DateLike = None, seconds: int | None = None) -> list:
        """Bars of several symbols in one list sorted by close time, ready for ``BacktestEngine.add_data``.

        One catalog query for all symbols: faster than ``load_bars`` per symbol.
        (Bars closing at the same instant come in no particular symbol order.)
        """
        missing = [instruments.normalize(s) for s in symbols if not self.has(s)]
        if missing:
            raise RbtsError(f"no bars for {', '.join(missing)} in {self.root}: {_HOW_TO_GET}")
        names = [self._resolve(s, seconds)[1] for s in symbols]
        lo, hi = time_bounds(start, end, self.settings.timezone)
        stamp = lambda ns: None if ns is None else pd.Timestamp(ns, tz="UTC")  # noqa: E731
        return self._nautilus_catalog().bars(names, start=stamp(lo), end=stamp(hi))

    def _nautilus_catalog(self):
        if getattr(self, "_catalog", None) is None:
            from nautilus_trader.persistence.catalog import ParquetDataCatalog

            self._catalog = ParquetDataCatalog(str(self.root))
        return self._catalog

    def _files(self, bar_type: str) -> list[Path]:
        return sorted(self._dir(bar_type).glob("*.parquet"))

    def _read_all(self, bar_type: str) -> pd.DataFrame:
        files = self._files(bar_type)
        try:
            key = (bar_type, tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files))
        except FileNotFoundError:  # replaced while we looked: look again
            return self._read_all(bar_type)
        with _CACHE_LOCK:
            cached = _CACHE.get(key)
            if cached is not None:
                _CACHE.move_to_end(key)
                return cached
        if not files:
            return empty_frame()
        frames = [table_to_frame(pq.read_table(f)) for f in files]
        frame = frames[0] if len(frames) == 1 else pd.concat(frames)
        if len(frames) > 1:  # files written by other tools may overlap: keep the last version of a bar
            frame = frame[~frame.index.duplicated(keep="last")].sort_index()
        with _CACHE_LOCK:
            _CACHE[key] = frame
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        return frame

    def span(self, symbol: str, seconds: int | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
        """(first, last) bar close time of a symbol, from the Parquet statistics (no bars read)."""
        _, name = self._resolve(symbol, seconds)
        firsts, lasts = [], []
        for path in self._files(name):
            meta = pq.ParquetFile(path).metadata
            column = meta.schema.names.index("ts_init")
            for i in range(meta.num_row_groups):
                stats = meta.row_group(i).column(column).statistics
                if stats is None or not stats.has_min_max:
                    frame = self._read_all(name)
                    return frame.index[0], frame.index[-1]
                firsts.append(stats.min)
                lasts.append(stats.max)
        return pd.Timestamp(min(firsts), tz="UTC"), pd.Timestamp(max(lasts), tz="UTC")

    # ---- metadata

    def _meta_path(self) -> Path:
        return self.root / META_FILE

    def metadata(self) -> dict[str, dict[str, Any]]:
        path = self._meta_path()
        if not path.exists():
            return {}
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return {}

    def source_of(self, symbol: str) -> dict[str, Any]:
        _, name = self._resolve(symbol, None)
        return self.metadata().get(name, {})

    def is_synthetic(self, symbol: str) -> bool:
        return bool(self.source_of(symbol).get("synthetic"))

    # ---- writing

    def write_frame(self, symbol: str, frame: pd.DataFrame, seconds: int, source: dict[str, Any]) -> Path:
        """Store ``frame`` (validated, sorted, unique close times) for ``symbol``.

        Stored bars in [first, last] of the new frame are replaced; bars outside
        stay. The new file appears by an atomic rename, so a reader never sees a
        half-written file.
        """
        name = str(instruments.bar_type(symbol, seconds, self.settings))
        precision = instruments.price_precision(symbol, self.settings)
        directory = self._dir(name)
        synthetic = bool(source.get("synthetic"))
        meta = self.metadata()
        stored = [n for _, n in self._bar_types_of(symbol)]
        if synthetic and any(not meta.get(n, {}).get("synthetic") for n in stored):
            raise RbtsError(f"{instruments.normalize(symbol)} holds real (imported or downloaded) bars; synthetic bars never overwrite them")
        if not synthetic:  # a symbol's bars never mix synthetic and real: real data replaces the demo set
            for n in stored:
                if meta.get(n, {}).get("synthetic"):
                    self._remove(n)
        old_files = self._files(name)
        if old_files and not frame.empty:
            old = self._read_all(name)
            first, last = frame.index[0], frame.index[-1]
            keep = old[(old.index < first) | (old.index > last)]
            frame = pd.concat([keep, frame]).sort_index() if len(keep) else frame
        if frame.empty:
            return directory
        extra = {"rbts_source": str(source.get("source", "")), "rbts_synthetic": "true" if source.get("synthetic") else "false"}
        table = frame_to_table(frame, name, precision, extra)
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / _file_name(int(frame.index[0].value), int(frame.index[-1].value))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".writing-", suffix=".tmp")
        os.close(fd)
        try:
            pq.write_table(table, tmp, row_group_size=100_000)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        for f in old_files:
            if f != target:
                f.unlink(missing_ok=True)
        self._write_instrument(symbol)
        self._update_meta(name, symbol, seconds, source)
        return target

    def synthetic_bar_types(self, symbol: str) -> list[str]:
        """The symbol's stored bar types that hold synthetic (demo) bars."""
        meta = self.metadata()
        return [n for _, n in self._bar_types_of(symbol) if meta.get(n, {}).get("synthetic")]

    def has_real(self, symbol: str) -> bool:
        """True if the symbol has imported or downloaded (not synthetic) bars."""
        meta = self.metadata()
        return any(not meta.get(n, {}).get("synthetic") for _, n in self._bar_types_of(symbol))

    def remove_symbol(self, symbol: str) -> None:
        """Delete every stored bar type of a symbol (its instrument stays)."""
        for _, name in self._bar_types_of(symbol):
            self._remove(name)

    def _remove(self, bar_type: str) -> None:
        for f in self._files(bar_type):
            f.unlink(missing_ok=True)
        try:
            self._dir(bar_type).rmdir()
        except OSError:  # not empty (a temp file of another writer) or already gone
            pass
        meta = self.metadata()
        if meta.pop(bar_type, None) is not None:
            atomic_write(self._meta_path(), json.dumps(meta, indent=2, sort_keys=True) + "\n", parents=True)

    def _write_instrument(self, symbol: str) -> None:
        from nautilus_trader.persistence.catalog import ParquetDataCatalog

        instrument = instruments.make_instrument(symbol, self.settings)
        kind = "index_instrument" if instruments.is_data_only(symbol, self.settings) else "equity"
        if (self.root / "data" / kind / str(instrument.id)).is_dir():
            return
        ParquetDataCatalog(str(self.root)).write_data([instrument])

    def _update_meta(self, bar_type: str, symbol: str, seconds: int, source: dict[str, Any]) -> None:
        meta = self.metadata()
        entry = {"symbol": instruments.normalize(symbol), "seconds": int(seconds), "synthetic": bool(source.get("synthetic"))}
        entry.update({k: v for k, v in source.items() if k != "synthetic"})
        entry["updated"] = pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")
        meta[bar_type] = entry
        atomic_write(self._meta_path(), json.dumps(meta, indent=2, sort_keys=True) + "\n", parents=True)

    # ---- summary

    def coverage(self) -> list[Coverage]:
        """One row per stored bar type, for ``rbts data ls``."""
        meta = self.metadata()
        rows = []
        for name in self._bar_types():
            iid, spec = name.rsplit("-", 4)[0], "-".join(name.rsplit("-", 4)[1:3])
            try:
                seconds = instruments.spec_seconds(spec)
            except (KeyError, ValueError):
                continue
            frame = self._read_all(name)
            info = meta.get(name, {})
            rows.append(_summarise(instruments.symbol_of(iid, self.settings), name, seconds, frame, info, self.settings))
        return rows


def _summarise(symbol: str, name: str, seconds: int, frame: pd.DataFrame, info: dict, settings: Settings) -> Coverage:
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
