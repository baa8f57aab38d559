"""metrics.json's figures (SPEC §3) for many variants at once, from the simulation's daily equity.

The same definitions as :mod:`rbts.runtime.backtest.metrics` (daily returns from the
capital, 252 days, risk-free 0, ddof 1), computed along the variant axis; undefined
values are NaN (``None`` in metrics.json).  ``tests/prescreen/test_metrics.py`` holds
every column equal to ``compute_metrics`` of the same curve.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from rbts.runtime.backtest.metrics import DAYS_PER_YEAR

NUMERIC_KEYS = ("initial_capital", "final_equity", "total_return", "cagr", "sharpe", "sortino", "max_drawdown",
                "calmar", "volatility", "trades", "win_rate", "profit_factor", "expectancy", "exposure")


def _finite(x: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(x), x, np.nan)


def _ratio(num: np.ndarray, den: np.ndarray, ok: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(ok, _finite(num / np.where(ok, den, 1.0)), np.nan)


def metrics_table(daily: np.ndarray, stats: dict[str, np.ndarray], trading_cycles: int, capital: float,
                  start: date, end: date) -> dict[str, np.ndarray]:
    """NUMERIC_KEYS -> (V,) arrays; ``daily`` is (V, D) equity at each day's last cycle."""
    n, days = daily.shape
    values = np.concatenate([np.full((n, 1), capital), daily], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = values[:, 1:] / values[:, :-1] - 1.0
    root = np.sqrt(DAYS_PER_YEAR)
    enough = days >= 2
    mean = returns.mean(axis=1) if days else np.full(n, np.nan)
    sd = returns.std(axis=1, ddof=1) if enough else np.full(n, np.nan)
    downside = np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2, axis=1)) if days else np.full(n, np.nan)
    final = stats["final_equity"]
    growth = _cagr(capital, final, (end - start).days + 1)
    mdd = np.minimum(0.0, (values / np.maximum.accumulate(values, axis=1) - 1.0).min(axis=1))
    trades = stats["trades"]
    out = {
        "initial_capital": np.full(n, float(capital)),
        "final_equity": final,
        "total_return": final / capital - 1.0,
        "cagr": growth,
        "sharpe": _ratio(mean, sd, enough & (sd > 0)) * root,
        "sortino": _ratio(mean, downside, enough & (downside > 0)) * root,
        "max_drawdown": mdd,
        "calmar": _ratio(growth, np.abs(mdd), np.isfinite(growth) & (mdd < 0)),
        "volatility": _finite(sd * root) if enough else np.full(n, np.nan),
        "trades": trades,
        "win_rate": _ratio(stats["wins"], trades, trades > 0),
        "profit_factor": _ratio(stats["win_sum"], -stats["loss_sum"], stats["loss_sum"] < 0),
        "expectancy": _ratio(stats["pnl_sum"], trades, trades > 0),
        "exposure": stats["invested_cycles"] / trading_cycles if trading_cycles else np.zeros(n),
    }
    return out


def _cagr(initial: float, final: np.ndarray, calendar_days: int) -> np.ndarray:
    if initial <= 0 or calendar_days <= 0:
        return np.full(len(final), np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        growth = (np.where(final > 0, final, 1.0) / initial) ** (365.0 / calendar_days) - 1.0
    return np.where(final > 0, _finite(growth), np.nan)
