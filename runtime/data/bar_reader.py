"""A bar type's Parquet files -> one frame of its bars, with a process-wide cache.

Files are read oldest first, so where two overlap (another tool's, or a write cut short) the
newest wins. A file that cannot be read is a :class:`~rbts.runtime.data.damaged.DamagedFileError`
naming it; the readable files still load. A frame is cached under the files' names, times and
sizes, so a write (a new file, a rename) is seen at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import pandas as pd

from rbts.runtime.data import damaged
from rbts.runtime.data.bar_files import empty_frame, table_to_frame

_CACHE: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_CACHE_SIZE = 64
_CACHE_LOCK = threading.Lock()  # the UI loads from several threads


def clear_cache() -> None:
    """Forget every cached frame (benchmarks measure cold reads)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def read_bar_file(path: Path, symbol: str) -> pd.DataFrame:
    table = damaged.read_table(path, symbol)
    try:
        return table_to_frame(table)
    except Exception as exc:  # readable Parquet, but not bars in our format
        raise damaged.DamagedFileError(path, symbol, f"not a bar table ({type(exc).__name__}: {exc})") from None


def read_readable(folder: Path, symbol: str) -> tuple[pd.DataFrame, list[damaged.DamagedFileError]]:
    """The bars of every readable file in ``folder`` (one bar type), and the errors of the damaged ones."""
    try:
        # oldest first, so that where files overlap (another tool's, or a write cut short) the newest wins
        files = sorted(folder.glob("*.parquet"), key=lambda f: (f.stat().st_mtime_ns, f.name))
        key = (folder.name, tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files))
    except FileNotFoundError:  # replaced while we looked: look again
        return read_readable(folder, symbol)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached, []
    frames, broken = [], []
    for f in files:
        try:
            frames.append(read_bar_file(f, symbol))
        except damaged.DamagedFileError as exc:
            broken.append(exc)
        except FileNotFoundError:
            return read_readable(folder, symbol)
    if not frames:
        return empty_frame(), broken
    frame = frames[0] if len(frames) == 1 else pd.concat(frames)
    if len(frames) > 1:
        frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    if not broken:
        with _CACHE_LOCK:
            _CACHE[key] = frame
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return frame, broken
