"""Per-cycle price arrays for the pre-screen's portfolio simulation, from base-bar frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rbts.compiler.vector import frame_ts
from rbts.runtime.prescreen.portfolio import Market
from rbts.dsl.exchange import EXCHANGE_TZ



def build_market(frames: dict[str, pd.DataFrame], tickers: tuple[str, ...], cycles: np.ndarray,
                 trade_from_ns: int, precision: dict[str, int]) -> Market:
    """The closes the strategy sees at each cycle, the highest close between cycles, trading days.

    Prices are rounded to each instrument's precision, as Nautilus' bars hold them.
    """
    n = len(cycles)
    close = np.full((n, len(tickers)), np.nan)
    peak = np.full((n, len(tickers)), np.nan)
    for t, symbol in enumerate(tickers):
        frame = frames[symbol]
        ts = frame_ts(frame)
        closes = np.round(frame["close"].to_numpy(np.float64), precision[symbol])
        last = np.searchsorted(ts, cycles, side="right") - 1
        close[:, t] = np.where(last >= 0, closes[np.maximum(last, 0)], np.nan)
        peak[:, t] = _highest_between(ts, closes, cycles)
    first = int(np.searchsorted(cycles, trade_from_ns, side="left"))
    day = np.full(n, -1, dtype=np.int64)
    if first < n:
        dates = pd.DatetimeIndex(cycles[first:].astype("datetime64[ns]")).tz_localize("UTC").tz_convert(EXCHANGE_TZ).date
        _, day[first:] = np.unique(np.asarray(dates), return_inverse=True)
    n_days = int(day.max()) + 1 if first < n else 0
    scale = np.array([10.0 ** precision[s] for s in tickers])
    return Market(tuple(tickers), cycles, close, peak, day, first, n_days, scale)


def _highest_between(ts: np.ndarray, closes: np.ndarray, cycles: np.ndarray) -> np.ndarray:
    """For each cycle, the highest close among bars stamped in (previous cycle, cycle]."""
    out = np.full(len(cycles), np.nan)
    slot = np.searchsorted(cycles, ts, side="left")  # the first cycle at or after each bar
    keep = slot < len(cycles)
    slot, values = slot[keep], closes[keep]
    if len(slot) == 0:
        return out
    starts = np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]])
    out[slot[starts]] = np.maximum.reduceat(values, starts)
    return out
