"""Higher timeframes from base bars, exactly as SPEC §2.3 defines them.

A bar of timeframe ``tf`` stamped T covers the base bars closing in
``(T - tf, T]`` (right-closed, right-labelled); T lies on the New York wall
clock grid counted from midnight (5m bars close at 09:35, 09:40, ...; 4h bars at
04:00, 08:00, ..., 24:00; a 1d bar covers one calendar day and closes at the
next midnight). Only intervals holding at least one base bar yield a bar.

The grid and the bucketing are the compiler's (``rbts.compiler.clock`` and
``rbts.compiler.vector.aggregate``), so traces, backtests, replay and this
module cannot disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rbts.compiler import clock
from rbts.compiler.vector import aggregate
from rbts.dsl.errors import RbtsError
from rbts.runtime.data.bar_files import COLUMNS
from rbts.dsl.exchange import EXCHANGE_TZ

DAY = 86_400


def bin_labels(index: pd.DatetimeIndex, seconds: int, tz: str = EXCHANGE_TZ) -> np.ndarray:
    """int64 UTC ns of the close T of the ``seconds`` bar each timestamp belongs to."""
    seconds = int(seconds)
    if seconds <= 0 or DAY % seconds != 0:
        raise RbtsError(f"a timeframe must divide a day evenly; {seconds} s does not")
    if tz != EXCHANGE_TZ:
        raise RbtsError(f"bars are aligned to the {EXCHANGE_TZ} clock, not {tz}")
    # One grid for everything: the compiler's clock (both evaluators use it too).
    return clock.bucket_ends(index.as_unit("ns").asi8, seconds)


def resample(frame: pd.DataFrame, seconds: int, tz: str = EXCHANGE_TZ) -> pd.DataFrame:
    """OHLCV bars of ``seconds`` from a base-bar frame (index = UTC close times, sorted)."""
    if frame.empty:
        return frame.iloc[0:0].copy()
    if not frame.index.is_monotonic_increasing:
        raise ValueError("resample needs bars sorted by close time")
    bin_labels(frame.index[:1], seconds, tz)  # validates the timeframe
    ts = frame.index.as_unit("ns").asi8
    stamps, cols = aggregate(ts, {c: frame[c].to_numpy(np.float64) for c in COLUMNS}, int(seconds))
    index = pd.DatetimeIndex(stamps.view("datetime64[ns]"), name="ts").tz_localize("UTC")
    return pd.DataFrame({c: cols[c] for c in COLUMNS}, index=index)
