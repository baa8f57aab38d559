"""Damaged catalog files: named in an error with the way out, and set aside (never deleted).

A catalog Parquet file can be truncated (a full disk, a copy cut short) or
overwritten with junk.  Reading it must not fail with a bare ``ArrowInvalid``
deep in a backtest: :func:`read_table` and :func:`check_footer` turn any read
failure into a :class:`DamagedFileError` that names the file, the symbol whose
bars it holds, and the commands that fix it.  :func:`set_aside` moves such a
file to ``catalog/damaged/<bar type>/`` so the rest of the symbol's bars load
again while the bytes stay on disk for anyone who wants to look at them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from rbts.dsl.errors import Diagnostic, RbtsError

DAMAGED_DIR = "damaged"
_REASON_CHARS = 160


class DamagedFileError(RbtsError):
    """A catalog file that cannot be read; ``path`` and ``symbol`` say which."""

    def __init__(self, path: Path, symbol: str, reason: str):
        self.path = Path(path)
        self.symbol = symbol
        message = f"damaged catalog file ({symbol} bars): {_reason(reason, self.path)}"
        hint = (f"`rbts data repair {symbol}` sets the damaged file aside into catalog/{DAMAGED_DIR}/ and keeps "
                f"{symbol}'s other files; then re-import (`rbts data import FILE --symbol {symbol}`) or re-download "
                f"the missing range; or `rbts data rm {symbol}` removes all of {symbol}'s bars. Other symbols are unaffected")
        super().__init__(Diagnostic(message, hint=hint), filename=str(self.path))


def _reason(reason: str, path: Path) -> str:
    """pyarrow's message, without the path (the error names it) and without its noise."""
    if "magic bytes not found" in reason or "Corrupt footer" in reason or "file size" in reason.lower():
        return "not a complete Parquet file (cut short or overwritten)"
    text = " ".join(str(reason).replace(f"'{path}'", "").replace(str(path), "").split())
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 3] + "..."


def read_table(path: Path, symbol: str) -> pa.Table:
    """The whole table of a catalog file; any failure to read it is a :class:`DamagedFileError`."""
    try:
        table = pq.read_table(path)
        for column in ("open", "high", "low", "close", "volume", "ts_init"):
            table.column(column)
        return table
    except FileNotFoundError:
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, KeyError, ... for a broken file
        raise DamagedFileError(path, symbol, str(exc) or type(exc).__name__) from None


def check_footer(path: Path, symbol: str) -> None:
    """A cheap check (the footer only) that catches truncated and zeroed files."""
    try:
        pq.read_metadata(path)
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise DamagedFileError(path, symbol, str(exc) or type(exc).__name__) from None


def set_aside(catalog_root: Path, path: Path) -> Path:
    """Move a damaged file out of the catalog's data tree; returns where it went."""
    folder = Path(catalog_root) / DAMAGED_DIR / Path(path).parent.name
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(path).name
    n = 1
    while target.exists():
        target = folder / f"{Path(path).stem}.{n}{Path(path).suffix}"
        n += 1
    os.replace(path, target)
    return target
