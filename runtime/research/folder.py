"""A sweep's output folder: the journal it resumes from, and the identity it refuses to mix.

``journal.jsonl`` gets one JSON line per finished run (appended and flushed at once), so a
sweep stopped by Ctrl-C, SIGTERM or a crash keeps every finished run.  ``sweep.json``
holds the sweep's ``identity`` (strategy, range, tickers, capital, space, search, seed,
objective, walk-forward): running again with the same ``--out`` resumes only when the
identity is the same, and a different one is refused before anything is written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from rbts.dsl.errors import RbtsError
from rbts.runtime.files import atomic_write
from rbts.runtime.research.tasks import TaskResult

JOURNAL = "journal.jsonl"
SWEEP_JSON = "sweep.json"


class SweepFolder:
    def __init__(self, path: Path, identity: dict[str, Any]) -> None:
        self.path = Path(path)
        self.identity = identity
        self.finished: dict[tuple[str, int, int], dict] = {}
        self.resumed = False
        self._journal = None

    def check(self) -> None:
        """Check that an existing folder holds this very sweep and read its journal (writes nothing)."""
        if self.path.exists() and not self.path.is_dir():
            raise RbtsError(f"--out {self.path}: exists and is not a folder")
        existing = self.path / SWEEP_JSON
        if existing.exists():
            self._check_identity(existing)
            self.finished = read_journal(self.path / JOURNAL)
            self.resumed = True
        elif self.path.is_dir() and any(self.path.iterdir()):
            raise RbtsError(f"--out {self.path}: the folder is not empty and holds no sweep.json "
                            "(give a new folder, or the folder of the sweep to resume)")

    def open(self) -> None:
        """Create the folder (when new) and open the journal for appending."""
        self.path.mkdir(parents=True, exist_ok=True)
        _drop_torn_tail(self.path / JOURNAL)
        self._journal = open(self.path / JOURNAL, "a", encoding="utf-8")

    def _check_identity(self, path: Path) -> None:
        try:
            before = json.loads(path.read_text(encoding="utf-8")).get("identity")
        except (OSError, ValueError, AttributeError) as exc:
            raise RbtsError(f"{path}: cannot read the sweep to resume: {exc}") from None
        if not isinstance(before, dict):
            raise RbtsError(f"{path}: not a sweep folder this version can resume (no identity)")
        changed = [k for k in sorted(set(before) | set(self.identity)) if before.get(k) != self.identity.get(k)]
        if changed:
            raise RbtsError(f"--out {self.path} holds a different sweep (changed: {', '.join(changed)}); "
                            "it is not resumed: give a new --out folder, or the same strategy and options")

    def record(self, result: TaskResult, values: dict[str, Any]) -> dict:
        line = journal_line(result, values)
        self._journal.write(json.dumps(line, allow_nan=False, default=_plain) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())
        self.finished[result.key] = line
        return line

    def write(self, name: str, data: str) -> None:
        atomic_write(self.path / name, data)

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None


def _plain(value):
    """JSON for numpy scalars and anything else a metrics dict may hold."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def journal_line(result: TaskResult, values: dict[str, Any]) -> dict:
    metrics = {k: (None if isinstance(v, float) and v != v else v) for k, v in result.metrics.items()}
    return {"kind": result.kind, "fold": result.fold, "variant": result.variant, "values": values,
            "status": result.status, "error": result.error, "metrics": metrics, "returns": result.returns,
            "equity": result.equity, "seconds": result.seconds, "worker": result.worker}


def _drop_torn_tail(path: Path) -> None:
    """Cut a last line left half-written by a crash, so the next line starts on its own."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as fh:
            fh.truncate(data.rfind(b"\n") + 1)


def read_journal(path: Path) -> dict[tuple[str, int, int], dict]:
    """Finished runs by (kind, fold, variant); a torn last line (a crash mid-write) is ignored."""
    out: dict[tuple[str, int, int], dict] = {}
    if not path.exists():
        return out
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(text)
            out[(line["kind"], int(line["fold"]), int(line["variant"]))] = line
        except (ValueError, KeyError, TypeError):
            continue
    return out
