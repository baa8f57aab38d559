"""Atomic file writes: a reader (or a crash) never sees half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_writer(path: Path, *, parents: bool = False) -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new content into (e.g. ``pq.write_table(table, fh)``):
    a temp file in ``path``'s folder, fsynced and ``os.replace``-d into place when the block
    ends without an error, removed otherwise.  A replaced file keeps its permissions; a new one
    is 0644.  Through a symlink, the link's target is replaced and the link kept.  The folder
    must exist unless ``parents`` (a user's mistyped output folder is an error, not created)."""
    path = Path(path).resolve()
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, path.stat().st_mode & 0o7777 if path.exists() else 0o644)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes | str, *, parents: bool = False) -> None:
    """Write ``data`` (str as UTF-8) to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, parents=parents) as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
