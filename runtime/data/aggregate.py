"""Higher timeframes from base bars, exactly as SPEC §2.3 defines them.

A bar of timeframe ``tf`` stamped T covers the base bars closing in
``(T - tf, T]`` (right-closed, right-labelled); T lies on the New York wall
clock grid counted from midnight (5m bars close at 09:35, 09:40, ...; 4h bars at
04:00, 08:00, ..., 24:00; a 1d bar covers one calendar day and closes at the
next midnight). Only intervals holding at least one base bar yield a bar.

For timeframes dividing an hour, New York's grid equals the UTC grid (its
offsets are whole hours), so those are computed on UTC nanoseconds; larger
ones on the New York wall clock.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rbts.dsl.errors import RbtsError
from rbts.runtime.data.catalog import COLUMNS

NS = 1_000_000_000
DAY = 86_400


def bin_labels(index: pd.DatetimeIndex, seconds: int, tz: str = "America/New_York") -> np.ndarray:
    """int64 UTC ns of the close T of the ``seconds`` bar each timestamp belongs to."""
    seconds = int(seconds)
    if seconds <= 0 or DAY % seconds != 0:
        raise RbtsError(f"a timeframe must divide a day evenly; {seconds} s does not")
    ts = index.as_unit("ns").asi8
    step = seconds * NS
    if 3600 % seconds == 0:
        return -(-ts // step) * step  # ceil to the grid (ts already on it stays)
    local = index.tz_convert(tz).tz_localize(None).as_unit("ns").asi8
    wall = -(-local // step) * step
    labels = pd.DatetimeIndex(wall.view("datetime64[ns]")).tz_localize(tz, ambiguous=False, nonexistent="shift_forward")
    out = labels.tz_convert("UTC").as_unit("ns").asi8
    if np.any(out < ts):  # a label before its bar would be look-ahead; cannot happen on NY's grid
        raise RbtsError(f"cannot align {seconds} s bars to the {tz} clock around a DST change")
    return out


def resample(frame: pd.DataFrame, seconds: int, tz: str = "America/New_York") -> pd.DataFrame:
    """OHLCV bars of ``seconds`` from a base-bar frame (index = UTC close times, sorted)."""
    if frame.empty:
        return frame.iloc[0:0].copy()
    if not frame.index.is_monotonic_increasing:
        raise ValueError("resample needs bars sorted by close time")
    labels = bin_labels(frame.index, seconds, tz)
    starts = np.flatnonzero(np.concatenate(([True], labels[1:] != labels[:-1])))
    ends = np.concatenate((starts[1:], [len(labels)])) - 1
    get = lambda c: frame[c].to_numpy(np.float64)  # noqa: E731
    out = pd.DataFrame(
        {
            "open": get("open")[starts],
            "high": np.maximum.reduceat(get("high"), starts),
            "low": np.minimum.reduceat(get("low"), starts),
            "close": get("close")[ends],
            "volume": np.add.reduceat(get("volume"), starts),
        },
        index=pd.DatetimeIndex(labels[starts].view("datetime64[ns]"), name="ts").tz_localize("UTC"),
    )
    return out[list(COLUMNS)]
