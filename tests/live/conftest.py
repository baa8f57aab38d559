"""tests/live: its helper modules (livetest, catalogs, toy_plugin) import by name, here and in bots."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
