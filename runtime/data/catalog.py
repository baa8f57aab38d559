"""The bar catalog: a Nautilus ``ParquetDataCatalog`` under ``<home>/catalog``.

Layout (Nautilus' own, so ``ParquetDataCatalog(path).bars()`` and the replay
client read it unchanged)::

    catalog/data/bar/AAPL.NASDAQ-1-MINUTE-LAST-EXTERNAL/<first>_<last>.parquet
    catalog/data/equity/AAPL.NASDAQ/...              the instruments
    catalog/rbts_meta.json                           source of each bar type (synthetic or not)
    catalog/damaged/<bar type>/...                   damaged files set aside by a repair or re-import

Writes never destroy what is stored: a new file is complete on disk before it
replaces anything, and a file that cannot be read is reported by name with the
way out (``rbts data repair SYMBOL``, ``rbts data rm SYMBOL``), never deleted
by a read or an import.

:class:`BarStore` is the one loading API for the compiler, backtests, the UI and
the replay bot. Frames have a UTC ``DatetimeIndex`` named ``ts`` holding each
bar's **close** time and float64 columns ``open high low close volume``.

Date arguments: ``'YYYY-MM-DD'`` strings are New York calendar days, both ends
inclusive; a bar belongs to the day its interval lies in, so a day D holds the
bars stamped in (D 00:00, D+1 00:00] New York time. ``pd.Timestamp``/datetime
arguments are exact instants (naive ones in New York time), both inclusive
(:mod:`rbts.runtime.data.dates`).  A bar type's files are read (and cached) by
:mod:`rbts.runtime.data.bar_reader`; ``rbts_meta.json`` is :mod:`rbts.runtime.data.catalog_meta`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from rbts.dsl.errors import RbtsError
from rbts.runtime.data import damaged, instruments
from rbts.runtime.data.bar_files import file_name, frame_to_table, write_table_atomic
from rbts.runtime.data.bar_reader import read_readable
from rbts.runtime.data.catalog_meta import load_meta, meta_entry, meta_from_labels, save_meta
from rbts.runtime.data.coverage import Coverage, summarise
from rbts.runtime.data.dates import DateLike, time_bounds

if TYPE_CHECKING:
    from rbts.runtime.settings import Settings

_BAR_DIR = ("data", "bar")
_HOW_TO_GET = "create the synthetic demo set with `rbts data demo`, or import a file with `rbts data import FILE --symbol SYM`"


# --------------------------------------------------------------------------- the store


@dataclass(frozen=True)
class Written:
    """What :meth:`BarStore.write_frame` did."""

    path: Path
    replaced: int  # stored bars in [first, last] of the new frame that it replaced
    set_aside: list[tuple[Path, Path]]  # damaged files moved out of the way: (was, now)


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
        return self._nautilus_bars([name], lo, hi)

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
        return self._nautilus_bars(names, lo, hi)

    def _nautilus_catalog(self):
        if getattr(self, "_catalog", None) is None:
            from nautilus_trader.persistence.catalog import ParquetDataCatalog

            self._catalog = ParquetDataCatalog(str(self.root))
        return self._catalog

    def _files(self, bar_type: str) -> list[Path]:
        return sorted(self._dir(bar_type).glob("*.parquet"))

    def _symbol_of_type(self, bar_type: str) -> str:
        return instruments.symbol_of(bar_type.rsplit("-", 4)[0], self.settings)

    def _read_all(self, bar_type: str) -> pd.DataFrame:
        """Every stored bar of a bar type; a damaged file is a :class:`~rbts.runtime.data.damaged.DamagedFileError`."""
        frame, broken = self._read_readable(bar_type)
        if broken:
            raise broken[0]
        return frame

    def _read_readable(self, bar_type: str) -> tuple[pd.DataFrame, list[damaged.DamagedFileError]]:
        """The bars of every readable file of a bar type, and the errors of the damaged ones."""
        return read_readable(self._dir(bar_type), self._symbol_of_type(bar_type))

    def damaged_files(self, symbol: str) -> list[damaged.DamagedFileError]:
        """The errors of every damaged file among a symbol's stored bars (empty if all read)."""
        return [exc for _, name in self._bar_types_of(symbol) for exc in self._read_readable(name)[1]]

    def repair(self, symbol: str) -> list[tuple[Path, Path]]:
        """Set aside every damaged file of a symbol (to ``catalog/damaged/``); returns (file, new place) pairs.

        The readable files stay, so the symbol loads again with a hole where the
        damaged file's bars were (re-import or re-download that range to fill it).
        """
        moved = []
        for _, name in self._bar_types_of(symbol):
            for exc in self._read_readable(name)[1]:
                moved.append((exc.path, damaged.set_aside(self.root, exc.path)))
            if not self._files(name):
                self._remove(name)
        return moved

    def _check_readable(self, names: list[str]) -> None:
        """Footer check of every file Nautilus' reader is about to open (it fails without naming the file)."""
        for name in names:
            for f in self._files(name):
                damaged.check_footer(f, self._symbol_of_type(name))

    def _nautilus_bars(self, names: list[str], lo: int | None, hi: int | None) -> list:
        self._check_readable(names)
        stamp = lambda ns: None if ns is None else pd.Timestamp(ns, tz="UTC")  # noqa: E731
        try:
            return self._nautilus_catalog().bars(names, start=stamp(lo), end=stamp(hi))
        except Exception:
            for name in names:  # a damaged page the footer check cannot see: name the file
                self._read_all(name)
            raise

    def span(self, symbol: str, seconds: int | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
        """(first, last) bar close time of a symbol, from the Parquet statistics (no bars read)."""
        _, name = self._resolve(symbol, seconds)
        firsts, lasts = [], []
        for path in self._files(name):
            damaged.check_footer(path, self._symbol_of_type(name))
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

    def metadata(self) -> dict[str, dict[str, Any]]:
        """The source of each stored bar type (:mod:`rbts.runtime.data.catalog_meta`)."""
        return load_meta(self.root, self._bar_types(),
                         lambda name: meta_from_labels(self._files(name), self._symbol_of_type(name)))

    def source_of(self, symbol: str) -> dict[str, Any]:
        _, name = self._resolve(symbol, None)
        return self.metadata().get(name, {})

    def is_synthetic(self, symbol: str) -> bool:
        return bool(self.source_of(symbol).get("synthetic"))

    # ---- writing

    def write_frame(self, symbol: str, frame: pd.DataFrame, seconds: int, source: dict[str, Any], *,
                    replace_symbol: bool = False) -> Written:
        """Store ``frame`` (validated, sorted, unique close times) for ``symbol``.

        Stored bars in [first, last] of the new frame are replaced; bars outside stay
        (``replace_symbol``: every stored bar of the symbol is replaced). Nothing stored
        changes until the new data is complete: the merged table is encoded (what cannot
        be stored fails here), written to a temp file and renamed into place; only then
        are the files it supersedes removed and the metadata updated. Damaged files of
        the bar type are set aside into ``catalog/damaged/``, never deleted.
        """
        name = str(instruments.bar_type(symbol, seconds, self.settings))
        meta = self.metadata()
        stored = [n for _, n in self._bar_types_of(symbol)]
        synthetic = bool(source.get("synthetic"))
        if synthetic and not replace_symbol and any(not meta.get(n, {}).get("synthetic") for n in stored):
            raise RbtsError(f"{instruments.normalize(symbol)} holds real (imported or downloaded) bars; synthetic bars never overwrite them")
        # a symbol's bars never mix synthetic and real: real data replaces the demo set
        superseded = [n for n in stored if replace_symbol or (not synthetic and meta.get(n, {}).get("synthetic"))]
        old_files = self._files(name)
        replaced, broken = 0, []
        if old_files and name not in superseded and not frame.empty:
            old, broken = self._read_readable(name)
            inside = (old.index >= frame.index[0]) & (old.index <= frame.index[-1])
            replaced = int(inside.sum())
            frame = pd.concat([old[~inside], frame]).sort_index() if not inside.all() else frame
        if frame.empty:
            return Written(self._dir(name), 0, [])
        extra = {"rbts_source": str(source.get("source", "")), "rbts_synthetic": "true" if synthetic else "false"}
        table = frame_to_table(frame, name, instruments.price_precision(symbol, self.settings), extra)
        self._write_instrument(symbol)
        moved = [(exc.path, damaged.set_aside(self.root, exc.path)) for exc in broken]
        target = self._dir(name) / file_name(int(frame.index[0].value), int(frame.index[-1].value))
        write_table_atomic(table, target)
        for f in old_files:
            if f != target:
                f.unlink(missing_ok=True)
        dropped = [n for n in superseded if n != name]
        for n in dropped:
            self._remove_files(n)
        self._update_meta(name, symbol, seconds, source, dropped)
        return Written(target, replaced, moved)

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
        self._remove_files(bar_type)
        meta = self.metadata()
        if meta.pop(bar_type, None) is not None:
            save_meta(self.root, meta)

    def _remove_files(self, bar_type: str) -> None:
        for f in self._files(bar_type):
            f.unlink(missing_ok=True)
        try:
            self._dir(bar_type).rmdir()
        except OSError:  # not empty (a temp file of another writer) or already gone
            pass

    def _write_instrument(self, symbol: str) -> None:
        from nautilus_trader.persistence.catalog import ParquetDataCatalog

        instrument = instruments.make_instrument(symbol, self.settings)
        kind = "index_instrument" if instruments.is_data_only(symbol, self.settings) else "equity"
        if (self.root / "data" / kind / str(instrument.id)).is_dir():
            return
        ParquetDataCatalog(str(self.root)).write_data([instrument])

    def _update_meta(self, bar_type: str, symbol: str, seconds: int, source: dict[str, Any], dropped: list[str]) -> None:
        meta = self.metadata()
        for name in dropped:
            meta.pop(name, None)
        meta[bar_type] = meta_entry(instruments.normalize(symbol), seconds, source)
        save_meta(self.root, meta)

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
            frame, broken = self._read_readable(name)
            info = meta.get(name, {})
            row = summarise(instruments.symbol_of(iid, self.settings), name, seconds, frame, info, self.settings)
            rows.append(dataclasses.replace(row, damaged=tuple(str(exc.path) for exc in broken)))
        return rows
