"""``catalog/rbts_meta.json``: where each stored bar type came from (its source, and whether it
is synthetic), rebuilt from the labels each Parquet file carries when the file is lost or an
entry unreadable, so a lost meta file never turns synthetic bars into real ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from rbts.runtime.files import atomic_write

META_FILE = "rbts_meta.json"


def meta_path(root: Path) -> Path:
    return root / META_FILE


def load_meta(root: Path, bar_types: list[str], labels_of: Callable[[str], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The meta file's entries, with each stored bar type's missing or unreadable entry from ``labels_of``."""
    meta: dict[str, Any] = {}
    try:
        loaded = json.loads(meta_path(root).read_text())
        meta = loaded if isinstance(loaded, dict) else {}
    except (OSError, ValueError):
        pass
    for name in bar_types:
        if not isinstance(meta.get(name), dict):
            meta[name] = labels_of(name)
    return meta


def meta_from_labels(files: list[Path], symbol: str) -> dict[str, Any]:
    """The entry the first readable file's labels give (``{}`` when none can be read)."""
    for path in files:
        try:
            raw = pq.read_schema(path).metadata or {}
        except Exception:  # damaged: try the next file
            continue
        labels = {k.decode(errors="replace"): v.decode(errors="replace") for k, v in raw.items()}
        return {
            "symbol": symbol,
            "source": labels.get("rbts_source") or "unknown",
            "synthetic": labels.get("rbts_synthetic") == "true",
        }
    return {}


def meta_entry(symbol: str, seconds: int, source: dict[str, Any]) -> dict[str, Any]:
    """The entry of a bar type just written from ``source``."""
    entry = {"symbol": symbol, "seconds": int(seconds), "synthetic": bool(source.get("synthetic"))}
    entry.update({k: v for k, v in source.items() if k != "synthetic"})
    entry["updated"] = pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")
    return entry


def save_meta(root: Path, meta: dict[str, dict[str, Any]]) -> None:
    atomic_write(meta_path(root), json.dumps(meta, indent=2, sort_keys=True) + "\n", parents=True)
