"""Clock arithmetic: vector and scalar forms agree; New York alignment across DST."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rbts.compiler import clock
from rbts.compiler.incremental import scalar_op
from rbts.compiler.vector import apply_op

NY = "America/New_York"


def ns(text):
    return pd.Timestamp(text, tz=NY).as_unit("ns").value


@pytest.mark.parametrize("tf, at, want", [
    (300, "2024-03-08 09:31", "2024-03-08 09:35"),
    (300, "2024-03-08 09:35", "2024-03-08 09:35"),
    (3600, "2024-03-11 09:31", "2024-03-11 10:00"),
    (14_400, "2024-03-08 12:01", "2024-03-08 16:00"),
    (14_400, "2024-03-11 12:01", "2024-03-11 16:00"),  # after the DST change: still local 16:00
    (14_400, "2024-11-04 23:59", "2024-11-05 00:00"),
    (86_400, "2024-03-11 09:31", "2024-03-12 00:00"),
    (86_400, "2024-11-04 00:00", "2024-11-04 00:00"),
    (2700, "2024-03-11 00:50", "2024-03-11 01:30"),  # 45m is aligned to midnight, not the hour
])
def test_bucket_end_is_new_york_aligned(tf, at, want):
    assert clock.bucket_end(ns(at), tf) == ns(want)
    assert clock.bucket_ends(np.array([ns(at)]), tf)[0] == ns(want)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=ns("2023-01-01 00:00"), max_value=ns("2025-12-31 00:00")),
       st.sampled_from([60, 300, 900, 1800, 2700, 3600, 7200, 14_400, 86_400]))
def test_scalar_and_vector_clocks_agree(ts, tf):
    ts = ts // 60_000_000_000 * 60_000_000_000
    assert clock.bucket_end(ts, tf) == clock.bucket_ends(np.array([ts]), tf)[0]
    arr = np.array([ts])
    assert clock.in_rth_one(ts) == bool(clock.in_rth(arr)[0])
    assert clock.in_eth_one(ts) == bool(clock.in_eth(arr)[0])
    assert clock.local_second_of_day(ts) == clock.local_seconds_of_day(arr)[0]


@pytest.mark.parametrize("op, a, b", [("/", 1.0, 0.0), ("/", -1.0, 0.0), ("/", 0.0, 0.0), ("/", 1.0, -0.0),
                                      ("/", 3.0, 7.0), ("*", 1e308, 10.0), ("-", 0.1, 0.3)])
def test_scalar_arithmetic_matches_numpy(op, a, b):
    want = float(apply_op(op, np.float64(a), np.float64(b)))
    got = scalar_op(op, a, b)
    assert (got == want) or (got != got and want != want)


def test_sessions_reach_back_for_old_data():
    old = ns("1999-03-03 10:00")  # before exchange_calendars' default 20-year window
    assert clock.in_rth_one(old) and clock.in_rth(np.array([old]))[0]
    weekend = ns("1999-03-06 10:00")
    assert not clock.in_eth_one(weekend) and not clock.in_eth(np.array([weekend]))[0]
