"""BarStore: the loading API, Nautilus' catalog format, dates as New York days, clear errors."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from support.demo_range import SMALL_DEMO_START

from rbts.dsl.errors import RbtsError
from rbts.runtime.data import fixed, instruments
from rbts.runtime.data.bar_files import table_to_frame
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.data.dates import time_bounds
from rbts.runtime.settings import load_settings


def test_fixed_point_codec_is_byte_identical_to_nautilus_serializer():
    from nautilus_trader.model.data import Bar
    from nautilus_trader.serialization.arrow.serializer import ArrowSerializer

    from rbts.runtime.data.bar_files import frame_to_table

    rng = np.random.default_rng(1)
    n = 500
    close = np.round(rng.uniform(0.01, 250_000, n), 2)
    frame = pd.DataFrame(
        {"open": close, "high": close + 1, "low": np.maximum(close - 1, 0.01), "close": close, "volume": np.round(rng.uniform(0, 1e9, n))},
        index=pd.DatetimeIndex(pd.date_range("2025-01-02 14:31", periods=n, freq="1min", tz="UTC").as_unit("ns"), name="ts"),
    )
    bt = instruments.bar_type("AAPL", 60)
    ts = frame.index.asi8.astype(np.uint64)
    bars = Bar.from_raw_arrays_to_list(bt, 2, 0, *(np.array(frame[c], copy=True) for c in ("open", "high", "low", "close", "volume")), ts, ts.copy())
    theirs = ArrowSerializer.serialize_batch(bars, Bar)
    ours = frame_to_table(frame, str(bt), 2)
    assert ours.equals(theirs, check_metadata=True)
    pd.testing.assert_frame_equal(table_to_frame(ours), frame, check_freq=False)


def test_decode_handles_sliced_arrays():
    arr = fixed.encode(np.array([1.25, 2.5, 3.75]), 2)
    assert fixed.decode(pa.chunked_array([arr.slice(1)]), 2).tolist() == [2.5, 3.75]


def test_nautilus_catalog_reads_what_bar_store_writes(small_demo_home):
    from nautilus_trader.persistence.catalog import ParquetDataCatalog

    store = BarStore(load_settings(small_demo_home))
    catalog = ParquetDataCatalog(str(store.root))
    theirs = catalog.bars([str(instruments.bar_type("VIX", 60))])
    ours = store.load_bars("VIX")
    assert len(theirs) == len(ours) == 20 * 390 and theirs == ours
    ids = {str(i.id) for i in catalog.instruments()}
    assert {"AAPL.NASDAQ", "^VIX.CBOE"} <= ids


def test_dates_are_inclusive_new_york_days(small_demo_home):
    store = BarStore(load_settings(small_demo_home))
    day = store.load_frame("AAPL", "2025-03-04", "2025-03-04")
    local = day.index.tz_convert("America/New_York")
    assert len(day) == 390 and str(local[0].time()) == "09:31:00" and str(local[-1].time()) == "16:00:00"
    week = store.load_frame("AAPL", "2025-03-03", "2025-03-07")
    assert len(week) == 5 * 390
    instants = store.load_frame("AAPL", pd.Timestamp("2025-03-04 09:35"), pd.Timestamp("2025-03-04 09:40"))
    assert len(instants) == 6  # naive instants are New York time, both ends inclusive
    assert store.load_frame("AAPL", "2025-03-08", "2025-03-09").empty  # a weekend


def test_day_bounds_take_bars_closing_at_midnight_into_the_day_before():
    lo, hi = time_bounds("2025-03-04", "2025-03-04")
    assert lo == pd.Timestamp("2025-03-04 00:00", tz="America/New_York").value + 1
    assert hi == pd.Timestamp("2025-03-05 00:00", tz="America/New_York").value
    with pytest.raises(RbtsError, match="after end"):
        time_bounds("2025-03-05", "2025-03-04")
    with pytest.raises(RbtsError, match="bad date"):
        time_bounds("2025-13-45", None)


def test_frames_have_the_documented_shape(small_demo_home):
    store = BarStore(load_settings(small_demo_home))
    frames = store.load_frames(["AAPL", "VIX"], SMALL_DEMO_START, SMALL_DEMO_START)
    for frame in frames.values():
        assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
        assert all(str(t) == "float64" for t in frame.dtypes)
        assert frame.index.name == "ts" and str(frame.index.tz) == "UTC" and frame.index.is_monotonic_increasing
    bars = store.load_bars("AAPL", SMALL_DEMO_START, SMALL_DEMO_START)
    assert str(bars[0].bar_type) == "AAPL.NASDAQ-1-MINUTE-LAST-EXTERNAL"
    assert bars[0].ts_event == bars[0].ts_init == frames["AAPL"].index[0].value
    assert bars[-1].close.as_double() == frames["AAPL"]["close"].iloc[-1]


def test_missing_symbols_are_named_with_how_to_get_data(small_demo_home, tmp_path):
    store = BarStore(load_settings(small_demo_home))
    with pytest.raises(RbtsError) as err:
        store.load_frames(["AAPL", "IBM", "SPY"])
    assert "IBM, SPY" in str(err.value) and "rbts data demo" in str(err.value) and "rbts data import" in str(err.value)
    with pytest.raises(RbtsError, match="no bars for AAPL"):
        BarStore(load_settings(tmp_path)).load_bars("AAPL")
    with pytest.raises(RbtsError, match="no 5-MINUTE-LAST bars for AAPL"):
        store.load_frame("AAPL", seconds=300)


def test_coverage_counts_days_gaps_and_missing_sessions(tmp_path, small_demo_home):
    full = BarStore(load_settings(small_demo_home)).load_frame("AAPL", "2025-03-03", "2025-03-07")
    holed = full.drop(full.index[[10, 11, 500]])
    holed = holed[holed.index.tz_convert("America/New_York").day != 5]  # a whole missing session
    store = BarStore(load_settings(tmp_path))
    store.write_frame("AAPL", holed, 60, {"source": "test"})
    (row,) = store.coverage()
    assert (row.symbol, row.bars, row.days, row.gaps, row.missing_sessions, row.synthetic) == ("AAPL", len(holed), 4, 2, 1, False)


@pytest.mark.parametrize(
    ("start", "end"),
    [("2025-03-04", "2025-03-04"), (None, "2025-03-05"), ("2025-03-27", None),
     (pd.Timestamp("2025-03-04 09:35"), pd.Timestamp("2025-03-04 09:40"))],
)  # fmt: skip
def test_load_bars_equals_load_frame_for_any_range(small_demo_home, start, end):
    store = BarStore(load_settings(small_demo_home))
    frame = store.load_frame("NVDA", start, end)
    bars = store.load_bars("NVDA", start, end)
    assert [b.ts_init for b in bars] == frame.index.asi8.tolist()
    assert [b.close.as_double() for b in bars] == frame["close"].tolist()
    assert [round(b.volume.as_double()) for b in bars] == frame["volume"].tolist()  # as_double is off by 1 ulp


def test_load_bars_merged_is_sorted_and_complete(small_demo_home):
    store = BarStore(load_settings(small_demo_home))
    merged = store.load_bars_merged(["AAPL", "VIX"], "2025-03-04", "2025-03-05")
    ts = [b.ts_init for b in merged]
    assert ts == sorted(ts) and len(merged) == 2 * 2 * 390
    assert {str(b.bar_type) for b in merged} == {"AAPL.NASDAQ-1-MINUTE-LAST-EXTERNAL", "^VIX.CBOE-1-MINUTE-LAST-EXTERNAL"}
    with pytest.raises(RbtsError, match="no bars for IBM"):
        store.load_bars_merged(["AAPL", "IBM"])


def test_span_reads_first_and_last_without_loading(small_demo_home):
    store = BarStore(load_settings(small_demo_home))
    frame = store.load_frame("VIX")
    assert store.span("VIX") == (frame.index[0], frame.index[-1])
