"""``rbts data import``: a vendor's CSV or Parquet bars into the catalog (SPEC §3).

Columns ``ts, open, high, low, close, volume`` (any case, extra columns
ignored); ``ts`` is each bar's CLOSE time, ISO 8601 with an offset or naive in
``tz``. The whole file is checked before anything is written; every bad row is
reported by its line number (CSV) or row number (Parquet). Re-importing a range
replaces the stored bars in it.  Reading: :mod:`~rbts.runtime.data.import_read`; the rows:
:mod:`~rbts.runtime.data.import_rows`; the bar size and clock: :mod:`~rbts.runtime.data.import_timing`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rbts.dsl.errors import RbtsError
from rbts.dsl.exchange import EXCHANGE_TZ
from rbts.dsl.limits import symbol_problem
from rbts.runtime.data import instruments
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.data.import_read import read_source
from rbts.runtime.data.import_rows import validate_rows


@dataclass
class ImportResult:
    symbol: str
    rows: int
    first: pd.Timestamp
    last: pd.Timestamp
    seconds: int
    replaced: int  # stored bars in [first, last] that this import replaced
    notes: list[str] = field(default_factory=list)


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
    source = read_source(path)
    step("checking")
    frame, seconds, notes = validate_rows(source, tz, stamped, instruments.price_precision(symbol, store.settings))
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
