"""Property tests: the fixed-point codec round-trips; resample equals pandas on any gappy 1m series."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from rbts.runtime.data import fixed
from rbts.runtime.data.aggregate import resample


@settings(max_examples=60, deadline=None)
@given(
    precision=st.integers(0, 9),
    mantissas=st.lists(st.integers(0, 9_000_000_000_000), min_size=1, max_size=50),
)
def test_fixed_point_round_trip(precision, mantissas):
    values = np.array(mantissas, dtype=np.float64) / 10.0**precision
    decoded = fixed.decode(fixed.encode(values, precision), precision)
    assert np.array_equal(decoded, np.round(values, precision))


@settings(max_examples=40, deadline=None)
@given(
    minutes=st.lists(st.integers(0, 3 * 24 * 60), min_size=1, max_size=300, unique=True),
    seconds=st.sampled_from([120, 300, 900, 1800, 3600]),
    seed=st.integers(0, 2**16),
)
def test_resample_equals_pandas_on_any_minute_series(minutes, seconds, seed):
    index = pd.DatetimeIndex(pd.Timestamp("2025-06-02", tz="UTC") + pd.to_timedelta(sorted(minutes), unit="min"), name="ts").as_unit("ns")
    rng = np.random.default_rng(seed)
    close = np.round(100 + rng.standard_normal(len(index)).cumsum(), 2)
    frame = pd.DataFrame(
        {"open": close, "high": close + 1, "low": close - 1, "close": close, "volume": rng.integers(0, 100, len(index)).astype(float)},
        index=index,
    )
    rule = frame.resample(f"{seconds}s", label="right", closed="right")
    want = pd.DataFrame({"open": rule["open"].first(), "high": rule["high"].max(), "low": rule["low"].min(),
                         "close": rule["close"].last(), "volume": rule["volume"].sum()})  # fmt: skip
    want = want[rule["close"].count() > 0]
    pd.testing.assert_frame_equal(resample(frame, seconds), want, check_freq=False, check_names=False)
