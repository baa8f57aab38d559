"""The shared homes of tests/conftest.py hold what they promise."""

from support.demo_range import SMALL_DEMO_END, SMALL_DEMO_START

from rbts.runtime.data.catalog import BarStore
from rbts.runtime.settings import load_settings

DEMO = ["AAPL", "AMD", "AMZN", "GOOGL", "META", "MSFT", "NVDA", "TSLA", "VIX"]


def test_small_demo_home_has_nine_symbols_for_twenty_sessions(small_demo_home):
    store = BarStore(load_settings(small_demo_home))
    assert store.symbols() == DEMO
    frame = store.load_frame("AAPL")
    assert len(frame) == 20 * 390
    assert str(frame.index[0].tz_convert("America/New_York")) == f"{SMALL_DEMO_START} 09:31:00-05:00"
    assert str(frame.index[-1].tz_convert("America/New_York")) == f"{SMALL_DEMO_END} 16:00:00-04:00"
    assert store.is_synthetic("VIX")


def test_small_demo_equals_the_same_days_of_the_full_set(small_demo_home, demo_home):
    small = BarStore(load_settings(small_demo_home))
    full = BarStore(load_settings(demo_home))
    for symbol in ("AAPL", "VIX"):
        part = full.load_frame(symbol, SMALL_DEMO_START, SMALL_DEMO_END)
        assert small.load_frame(symbol).equals(part)
