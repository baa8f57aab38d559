"""Backtest metrics (SPEC §3) as pure functions of an equity curve and a trade list.

Returns are daily: the mark-to-market equity at the last cycle of each New York
trading day, with the initial capital as the point before the first day.  252
days a year, risk-free rate 0.  Undefined values (a ratio over zero) are ``None``
(``null`` in metrics.json), never NaN or infinity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from rbts.dsl.exchange import EXCHANGE_TZ

DAYS_PER_YEAR = 252
MIN_TRADES = 30
MIN_MONTHS = 3

METRIC_KEYS = (
    "start", "end", "initial_capital", "final_equity", "total_return", "cagr", "sharpe", "sortino",
    "max_drawdown", "calmar", "volatility", "trades", "win_rate", "profit_factor", "expectancy", "exposure",
)


def daily_equity(ts: pd.DatetimeIndex, equity: Sequence[float], tz: str = EXCHANGE_TZ) -> pd.Series:
    """Equity at the last cycle of each exchange-local calendar day."""
    series = pd.Series(np.asarray(equity, dtype=float), index=ts.tz_convert(tz))
    return series.groupby(series.index.date).last()


def daily_returns(daily: pd.Series, initial_capital: float) -> np.ndarray:
    values = np.concatenate([[initial_capital], daily.to_numpy(float)])
    return values[1:] / values[:-1] - 1.0


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def sharpe(returns: np.ndarray) -> float | None:
    if len(returns) < 2:
        return None
    sd = returns.std(ddof=1)
    return _finite(returns.mean() / sd * math.sqrt(DAYS_PER_YEAR)) if sd > 0 else None


def sortino(returns: np.ndarray) -> float | None:
    """Downside deviation over *all* days, target 0."""
    if len(returns) < 2:
        return None
    dd = math.sqrt(np.mean(np.minimum(returns, 0.0) ** 2))
    return _finite(returns.mean() / dd * math.sqrt(DAYS_PER_YEAR)) if dd > 0 else None


def volatility(returns: np.ndarray) -> float | None:
    return _finite(returns.std(ddof=1) * math.sqrt(DAYS_PER_YEAR)) if len(returns) >= 2 else None


def max_drawdown(values: Sequence[float]) -> float:
    """Deepest fall from a running peak, as a negative fraction (-0.12 = 12 %)."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        return 0.0
    return float(min(0.0, (v / np.maximum.accumulate(v) - 1.0).min()))


def cagr(initial: float, final: float, calendar_days: int) -> float | None:
    if initial <= 0 or calendar_days <= 0 or final <= 0:
        return None
    return _finite((final / initial) ** (365.0 / calendar_days) - 1.0)


def calmar(cagr_value: float | None, mdd: float) -> float | None:
    return _finite(cagr_value / abs(mdd)) if cagr_value is not None and mdd < 0 else None


def trade_stats(pnls: Sequence[float]) -> dict[str, float | int | None]:
    """trades, win_rate (break-even is not a win), profit_factor, expectancy (USD per trade)."""
    p = np.asarray(pnls, dtype=float)
    wins, losses = p[p > 0].sum(), p[p < 0].sum()
    return {
        "trades": int(len(p)),
        "win_rate": float((p > 0).mean()) if len(p) else None,
        "profit_factor": _finite(wins / -losses) if losses < 0 else None,
        "expectancy": float(p.mean()) if len(p) else None,
    }


def exposure(invested: Sequence[bool]) -> float:
    """Share of cycles with at least one open position."""
    return float(np.mean(invested)) if len(invested) else 0.0


def compute_metrics(
    start: date, end: date, initial_capital: float,
    ts: pd.DatetimeIndex, equity: Sequence[float], invested: Sequence[bool], trade_pnls: Sequence[float],
) -> dict:
    """metrics.json: exactly :data:`METRIC_KEYS` plus ``warnings``."""
    final = float(equity[-1]) if len(equity) else float(initial_capital)
    daily = daily_equity(ts, equity) if len(equity) else pd.Series(dtype=float)
    returns = daily_returns(daily, initial_capital)
    days = (end - start).days + 1
    growth = cagr(initial_capital, final, days)
    mdd = max_drawdown(np.concatenate([[initial_capital], daily.to_numpy(float)]))
    out = {
        "start": start.isoformat(), "end": end.isoformat(),
        "initial_capital": float(initial_capital), "final_equity": final,
        "total_return": final / initial_capital - 1.0,
        "cagr": growth, "sharpe": sharpe(returns), "sortino": sortino(returns),
        "max_drawdown": mdd, "calmar": calmar(growth, mdd), "volatility": volatility(returns),
        **trade_stats(trade_pnls),
        "exposure": exposure(invested),
    }
    out["warnings"] = warnings_for(start, end, out["trades"])
    return out


def warnings_for(start: date, end: date, trades: int) -> list[str]:
    notes = []
    if trades < MIN_TRADES:
        notes.append(f"only {trades} closed trades (fewer than {MIN_TRADES}): ratios are not reliable")
    if pd.Timestamp(end) < pd.Timestamp(start) + pd.DateOffset(months=MIN_MONTHS) - pd.Timedelta(days=1):
        notes.append(f"the test covers less than {MIN_MONTHS} months: annualised figures are not reliable")
    return notes
