"""The strategy registry (``<home>/strategies/``) and the bot's active strategy file.

Layout::

    strategies/<slug>/v0001.json        the strategy's JSON form (what the bot runs)
    strategies/<slug>/v0001.rbts        its text, as the user wrote it (if any)
    strategies/<slug>/v0001.meta.json   name, version, sha256 of the JSON, time, source file
    live/active_strategy.json           a byte copy of one version's JSON, replaced atomically

Versions are immutable.  The active file holds only the strategy JSON (the
exchange format of SPEC §2.6); which version it is comes from its sha256.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rbts.runtime.files import atomic_write

ACTIVE_FILE = "active_strategy.json"


@dataclass(frozen=True)
class Version:
    name: str
    slug: str
    number: int
    sha256: str
    created: float
    json_path: Path
    source_file: str | None = None

    @property
    def label(self) -> str:
        """How the version is shown: ``<slug> v3``."""
        return f"{self.slug} v{self.number}"


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "strategy"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Registry:
    def __init__(self, strategies_dir: Path, live_dir: Path) -> None:
        self.root = Path(strategies_dir)
        self.live_dir = Path(live_dir)

    @property
    def active_path(self) -> Path:
        return self.live_dir / ACTIVE_FILE

    def save(self, name: str, json_text: str, source_text: str | None = None,
             source_file: str | None = None) -> Version:
        """Store a new version of strategy ``name`` (or return the newest one if identical)."""
        data = json_text.encode()
        digest = sha256(data)
        slug = slugify(name)
        with self._lock():
            existing = self.versions(slug)
            if existing and existing[-1].sha256 == digest:
                return existing[-1]
            number = existing[-1].number + 1 if existing else 1
            folder = self.root / slug
            stem = folder / f"v{number:04d}"
            atomic_write(stem.with_suffix(".json"), data, parents=True)
            if source_text is not None:
                atomic_write(stem.with_suffix(".rbts"), source_text.encode(), parents=True)
            meta = {"name": name, "slug": slug, "number": number, "sha256": digest,
                    "created": time.time(), "source_file": source_file}
            atomic_write(Path(f"{stem}.meta.json"), json.dumps(meta, indent=2).encode(), parents=True)
        return self._version(meta, stem.with_suffix(".json"))

    def versions(self, slug: str) -> list[Version]:
        folder = self.root / slug
        out = []
        for meta_path in sorted(folder.glob("v*.meta.json")):
            meta = json.loads(meta_path.read_text())
            out.append(self._version(meta, meta_path.with_name(meta_path.name.replace(".meta.json", ".json"))))
        return sorted(out, key=lambda v: v.number)

    def strategies(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir()) if self.root.exists() else []

    def find(self, digest: str) -> Version | None:
        """The version whose JSON has this sha256 (the newest if several)."""
        for slug in self.strategies():
            for version in reversed(self.versions(slug)):
                if version.sha256 == digest:
                    return version
        return None

    def activate(self, version: Version) -> None:
        """Make ``version`` the bot's active strategy (atomic replace)."""
        atomic_write(self.active_path, version.json_path.read_bytes(), parents=True)

    def active(self) -> tuple[bytes, Version | None] | None:
        """The active file's bytes and its registry version (None if it is not in the registry)."""
        try:
            data = self.active_path.read_bytes()
        except FileNotFoundError:
            return None
        return data, self.find(sha256(data))

    @staticmethod
    def _version(meta: dict, json_path: Path) -> Version:
        return Version(meta["name"], meta["slug"], int(meta["number"]), meta["sha256"],
                       float(meta["created"]), json_path, meta.get("source_file"))

    @contextmanager
    def _lock(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
