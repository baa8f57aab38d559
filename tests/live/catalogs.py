"""Small hand-made bar catalogs for the live tests (exact prices, a few minutes a day)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rbts.runtime.data.catalog import BarStore
from rbts.runtime.settings import load_settings


def minute_bars(day: str, closes, first: str = "09:31") -> pd.DataFrame:
    """1-minute bars stamped at their close from ``day first`` (New York time), one per close."""
    close = np.round(np.asarray(closes, dtype=float), 2)
    index = pd.date_range(pd.Timestamp(f"{day} {first}", tz="America/New_York"), periods=len(close), freq="1min")
    open_ = np.r_[close[0], close[:-1]]
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close) + 0.01,
                         "low": np.minimum(open_, close) - 0.01, "close": close,
                         "volume": np.full(len(close), 1_000.0)}, index=index.tz_convert("UTC"))


def write_bars(home: Path, symbol: str, *frames: pd.DataFrame) -> Path:
    """Store the frames (concatenated) as the symbol's 1-minute bars in the home's catalog."""
    store = BarStore(load_settings(home))
    store.write_frame(symbol, pd.concat(frames), 60, {"source": "tests/live hand-made bars", "synthetic": True})
    return home
