"""Hand-made 1-minute RTH bars for the backtest tests (deterministic, close-stamped, UTC index)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def session_index(days: list[str]) -> pd.DatetimeIndex:
    """09:31 .. 16:00 New York bar-close stamps for each day, as UTC."""
    parts = [pd.date_range(pd.Timestamp(d) + pd.Timedelta("9h31min"), periods=390, freq="1min",
                           tz="America/New_York") for d in days]
    return pd.DatetimeIndex(pd.to_datetime(np.concatenate([p.as_unit("ns").asi8 for p in parts]), unit="ns", utc=True))


def frame_from_closes(index: pd.DatetimeIndex, closes, volume: float = 1e6, spread: float = 0.02) -> pd.DataFrame:
    c = np.round(np.asarray(closes, dtype=float), 2)
    o = np.round(np.r_[c[0], c[:-1]], 2)
    return pd.DataFrame({"open": o, "high": np.maximum(o, c) + spread, "low": np.minimum(o, c) - spread,
                         "close": c, "volume": float(volume)}, index=index)


def random_walk(index: pd.DatetimeIndex, seed: int, start: float = 100.0, vol: float = 0.001) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return frame_from_closes(index, start * np.exp(np.cumsum(rng.normal(0, vol, len(index)))))


# The reference strategy with a looser VIX rule and three tickers, so that it trades on the demo set.
PARITY_STRATEGY = """\
strategy "parity"
universe: AAPL, MSFT, NVDA
cycle: 5m
let fast = ema(close, 9, 5m)
let slow = ema(close, 21, 5m)
global market_hours: time in RTH
global vix_not_rising: slope(ema(VIX, 9, 5m), 30m) < 0.3
entry bull_cross: fast crosses_above slow
exit bear_cross: fast crosses_below slow
"""
