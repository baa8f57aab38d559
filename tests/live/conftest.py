"""tests/live: its helper modules (livetest, catalogs, toy_plugin) import by name, here and in bots.

The fixtures every bot test starts from (one each, so a test says only what differs):
``replay_home`` (a copy of the small demo home for a replay bot), ``toy_home`` (the same with the
toy strategy plugin) and ``ib_home`` (an empty home for a bot against the fake TWS).  Each stops
the bot it may have started.  Starting the bot: ``livetest.start_replay`` / ``livetest.start_ib``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from livetest import stop_bot, use_toy_plugin  # noqa: E402 (importable once HERE is on the path)


@pytest.fixture
def replay_home(small_demo_home, tmp_path):
    """A writable copy of the small demo home (20 sessions from 2025-03-03, nine symbols)."""
    home = tmp_path / "home"
    shutil.copytree(small_demo_home, home)
    yield home
    stop_bot(home)


@pytest.fixture
def toy_home(monkeypatch, replay_home):
    """``replay_home`` whose bot (and in-process commands) load strategies with tests/live/toy_plugin.py."""
    use_toy_plugin(monkeypatch)
    return replay_home


@pytest.fixture
def ib_home(tmp_path, monkeypatch):
    """An empty home for a bot in IB mode (account DU1234567; one connection attempt per node build,
    the bot waits for the gateway itself); start it with ``livetest.start_ib``."""
    monkeypatch.setenv("RBTS_IB_ACCOUNT", "DU1234567")
    monkeypatch.setenv("RBTS_IB_MAX_CONNECTION_ATTEMPTS", "1")
    home = tmp_path / "home"
    home.mkdir()
    yield home
    stop_bot(home)
