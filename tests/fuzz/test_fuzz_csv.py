"""Fuzzed CSV imports into a home that holds bars: a user error changes nothing stored."""

import shutil

import pytest
from hypothesis import given

from support.fuzz_budget import fuzz_settings
from support.fuzz_front import exercise_csv
from support.fuzz_inputs import csv_files


@pytest.fixture(scope="module")
def template(tmp_path_factory, small_demo_home):
    """A home holding a week of AAPL (demo) bars and real MSFT bars."""
    from rbts.runtime.data.catalog import BarStore
    from rbts.runtime.settings import load_settings

    home = tmp_path_factory.mktemp("fuzz_csv") / "home"
    source = BarStore(load_settings(small_demo_home))
    store = BarStore(load_settings(home))
    store.write_frame("AAPL", source.load_frame("AAPL", "2025-03-03", "2025-03-07"), 60,
                      {"source": "SYNTHETIC demo data", "synthetic": True})
    store.write_frame("MSFT", source.load_frame("MSFT", "2025-03-03", "2025-03-07"), 60,
                      {"source": "real", "synthetic": False})
    return home


@pytest.mark.slow
@fuzz_settings("csv")
@given(data=csv_files())
def test_fuzzed_csv_imports(template, tmp_path_factory, data):
    work = tmp_path_factory.mktemp("case", numbered=True)
    try:
        for symbol in ("AAPL", "MSFT"):
            exercise_csv(data, template, work, symbol)
    finally:
        shutil.rmtree(work, ignore_errors=True)
