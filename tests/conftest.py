"""Shared fixtures for every area's tests.

Homes with data (session scope: built once per pytest/xdist worker; treat them
as READ-ONLY — copy with ``shutil.copytree`` if a test must write):

``demo_home`` -> Path
    A home folder holding the full synthetic demo set (``rbts data demo``):
    1-minute RTH bars for AAPL MSFT NVDA AMZN GOOGL META TSLA AMD and VIX on
    every XNYS session of 2025 (250 sessions, 96,960 bars per symbol).
    Building it takes about 2 s.

``small_demo_home`` -> Path
    The same data for the 20 sessions 2025-03-03 .. 2025-03-28 only (all nine
    symbols, 7,800 bars each); byte-identical to that part of ``demo_home``.

``SMALL_DEMO_START`` / ``SMALL_DEMO_END`` in ``support.demo_range`` name that range
(import them from there: ``conftest`` is not a module to import from).

Use them as::

    from rbts.runtime.settings import load_settings
    from rbts.runtime.data.catalog import BarStore

    def test_x(small_demo_home):
        store = BarStore(load_settings(small_demo_home))
        frame = store.load_frame("AAPL", "2025-03-03", "2025-03-07")
        bars = store.load_bars("VIX", "2025-03-03", "2025-03-07")

or pass ``--home str(small_demo_home)`` to the CLI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.demo_range import SMALL_DEMO_END, SMALL_DEMO_START


def _build_demo(root: Path, start: str | None = None, end: str | None = None) -> Path:
    from rbts.runtime.data import demo
    from rbts.runtime.data.catalog import BarStore
    from rbts.runtime.settings import load_settings

    root.mkdir(parents=True, exist_ok=True)
    demo.write_demo(BarStore(load_settings(root)), start=start, end=end)
    return root


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory) -> Path:
    """A read-only home with the full 2025 synthetic demo set."""
    return _build_demo(tmp_path_factory.mktemp("demo_home") / "home")


@pytest.fixture(scope="session")
def small_demo_home(tmp_path_factory) -> Path:
    """A read-only home with 20 demo sessions (2025-03-03 .. 2025-03-28), all nine symbols."""
    return _build_demo(tmp_path_factory.mktemp("small_demo_home") / "home", SMALL_DEMO_START, SMALL_DEMO_END)
