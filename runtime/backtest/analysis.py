"""What a backtest report shows beyond metrics.json, as pure functions of the result tables.

Monthly returns (from the same daily mark-to-market equity the metrics use), a
per-ticker breakdown of the trade list, and buy-and-hold benchmarks over the same
cycles.  Inputs are the frames of a run folder (``equity.csv``, ``trades.csv``) or of
a :class:`~rbts.runtime.backtest.runner.BacktestResult`; nothing here reads files.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping

import numpy as np
import pandas as pd

from rbts.runtime.backtest.metrics import daily_equity

MONTHS = [calendar.month_abbr[m] for m in range(1, 13)]


def monthly_returns(equity: pd.Series, initial_capital: float) -> pd.DataFrame:
    """Rows are years, columns ``Jan .. Dec`` and ``Year``: each month's return, from the equity at
    the last cycle of its last trading day over the previous month's (the capital before the first).
    Months without data are NaN; ``Year`` compounds the year's months."""
    if equity.empty:
        return pd.DataFrame(columns=[*MONTHS, "Year"], dtype=float)
    daily = daily_equity(pd.DatetimeIndex(equity.index), equity.to_numpy(float))
    month_end = daily.groupby(np.array([d.year * 100 + d.month for d in daily.index])).last()
    closes = month_end.to_numpy(float)
    before = np.concatenate([[initial_capital], closes[:-1]])
    table = pd.DataFrame(np.nan, index=sorted({k // 100 for k in month_end.index}), columns=[*MONTHS, "Year"])
    for key, ret in zip(month_end.index, closes / before - 1.0, strict=True):
        table.loc[key // 100, MONTHS[key % 100 - 1]] = ret
    table["Year"] = (1.0 + table[MONTHS]).prod(axis=1, min_count=1) - 1.0
    table.index.name = "year"
    return table


def ticker_breakdown(trades: pd.DataFrame, cycles: pd.DatetimeIndex) -> pd.DataFrame:
    """Per traded symbol: closed trades, open positions, PnL (closed plus the open one marked at the
    last close, as in trades.csv), win rate of the closed trades and exposure (the share of cycles
    with a position in that symbol: entry cycle included, exit cycle not)."""
    columns = ["symbol", "trades", "open", "pnl", "win_rate", "exposure"]
    if trades.empty:
        return pd.DataFrame(columns=columns)
    stamps = _ns(cycles)
    rows = []
    for symbol, mine in trades.groupby("symbol", sort=True):
        closed = mine[mine["exit_ts"].notna()]
        held = np.zeros(len(stamps), dtype=bool)
        for entry, exit_ in zip(mine["entry_ts"], mine["exit_ts"], strict=True):
            start = np.searchsorted(stamps, pd.Timestamp(entry).value, side="left")
            stop = len(stamps) if pd.isna(exit_) else np.searchsorted(stamps, pd.Timestamp(exit_).value, side="left")
            held[start:stop] = True
        rows.append({
            "symbol": symbol, "trades": len(closed), "open": len(mine) - len(closed),
            "pnl": float(mine["pnl"].sum()),
            "win_rate": float((closed["pnl"] > 0).mean()) if len(closed) else None,
            "exposure": float(held.mean()) if len(held) else 0.0,
        })
    return pd.DataFrame(rows, columns=columns)


def buy_and_hold(closes: Mapping[str, pd.Series], capital: float, cycles: pd.DatetimeIndex) -> pd.Series:
    """Equity of ``capital`` split equally over ``closes``' symbols, bought at the first cycle's last
    close and held: fractional shares, no fees.  Each close series is indexed by bar close time
    (UTC); a cycle sees the last bar closed at or before it."""
    cycles = pd.DatetimeIndex(cycles)
    if not closes or len(cycles) == 0:
        return pd.Series(dtype=float, index=cycles)
    value = np.zeros(len(cycles))
    for series in closes.values():
        marks = _asof(series, cycles)
        first = marks[np.isfinite(marks)][:1]
        if not len(first):
            raise ValueError(f"no bar of {series.name or 'a symbol'} at or before the run's cycles")
        value += capital / len(closes) * _filled(marks, first[0]) / first[0]
    return pd.Series(value, index=cycles)


def _asof(series: pd.Series, cycles: pd.DatetimeIndex) -> np.ndarray:
    series = series.dropna().sort_index()
    pos = np.searchsorted(_ns(series.index), _ns(cycles), side="right") - 1
    values = series.to_numpy(float)
    return np.where(pos >= 0, values[np.clip(pos, 0, None)], np.nan)


def _ns(index) -> np.ndarray:
    """UTC nanoseconds of a datetime index, whatever its unit (CSV reads give microseconds)."""
    return pd.DatetimeIndex(index).as_unit("ns").asi8


def _filled(marks: np.ndarray, first: float) -> np.ndarray:
    """A symbol with no bar yet at the first cycles is held at its first known price."""
    return np.where(np.isfinite(marks), marks, first)
