"""Plotly figures of the app, as plain functions of data frames (no Streamlit).

Times are shown in exchange time (rbts.dsl.exchange); nights and weekends are
hidden when the data has none (TradingView style), so sessions sit side by side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rbts.ui import theme
from rbts.dsl.exchange import EXCHANGE_TZ

DISPLAY_STEPS = (60, 300, 900, 1800, 3600, 4 * 3600, 86400)


def to_ny(index: pd.Index) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(index)
    return (idx.tz_localize("UTC") if idx.tz is None else idx).tz_convert(EXCHANGE_TZ)


def rangebreaks(index: pd.DatetimeIndex) -> list[dict]:
    """Hide weekends, and nights when every timestamp lies in regular hours."""
    if len(index) == 0:
        return []
    local = to_ny(index)
    breaks = [dict(bounds=["sat", "mon"])]
    minutes = local.hour * 60 + local.minute
    if len(local) > 1 and minutes.min() >= 9 * 60 + 30 and minutes.max() <= 16 * 60:
        # 16:01 to 09:31: the 16:00 bar closes the session and must not fall into the break
        breaks.append(dict(bounds=[16 + 1 / 60, 9.5 + 1 / 60], pattern="hour"))
        holidays = _weekdays_without_data(local)
        if holidays:  # the session hours of a holiday (nights and weekends are hidden already)
            breaks.append(dict(values=[f"{d} 09:31:00" for d in holidays], dvalue=6.5 * 3_600_000))
    return breaks


def _weekdays_without_data(local: pd.DatetimeIndex) -> list[str]:
    """Weekdays inside the range with no timestamp at all (exchange holidays), as YYYY-MM-DD."""
    days = pd.DatetimeIndex(np.unique(local.tz_localize(None).normalize()))
    weekdays = pd.bdate_range(days[0], days[-1])
    return [f"{d:%Y-%m-%d}" for d in weekdays.difference(days)]


def _base(fig: go.Figure, height: int, index: pd.DatetimeIndex | None = None) -> go.Figure:
    fig.update_layout(template=theme.TEMPLATE_NAME, height=height)
    if index is not None and len(index):
        fig.update_xaxes(rangebreaks=rangebreaks(index))
    return fig


# ----------------------------------------------------------------------------- bars


def display_bars(frame: pd.DataFrame, max_bars: int = 2500, min_step: int = 0) -> tuple[pd.DataFrame, int]:
    """Bars coarse enough to draw quickly, and at least ``min_step`` seconds each (e.g. the cycle):
    (frame indexed in EXCHANGE_TZ time, seconds per bar)."""
    from rbts.compiler.vector import aggregate, frame_ts

    if frame.empty:
        return frame, 60
    ts = frame_ts(frame)
    base = int(np.median(np.diff(ts)) // 1_000_000_000) if len(ts) > 1 else 60
    cols = {c: frame[c].to_numpy(float) for c in ("open", "high", "low", "close", "volume")}
    for step in DISPLAY_STEPS:
        if step < max(base, min_step):
            continue
        if step == base:
            out_ts, out = ts, cols
        else:
            out_ts, out = aggregate(ts, cols, step)
        if len(out_ts) <= max_bars or step == DISPLAY_STEPS[-1]:
            index = to_ny(pd.to_datetime(out_ts, unit="ns", utc=True))
            return pd.DataFrame(out, index=index), step
    raise AssertionError("unreachable")


def step_label(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"


def candles(frame: pd.DataFrame, name: str) -> go.Candlestick:
    return go.Candlestick(x=frame.index, open=frame["open"], high=frame["high"], low=frame["low"],
                          close=frame["close"], name=name, showlegend=False)


# ----------------------------------------------------------------------------- backtest


MAX_POINTS = 3000  # a line never draws more than this many points, however long the run


def decimate(n: int, max_points: int = MAX_POINTS, extremes: tuple[np.ndarray, ...] = ()) -> np.ndarray:
    """Positions of ``n`` points worth drawing: all of them when few, else per bucket its first and
    last point and where each of ``extremes`` peaks and bottoms, so spikes and the deepest drawdown stay."""
    per_bucket = 2 + 2 * len(extremes)
    if n <= max_points:
        return np.arange(n)
    edges = np.linspace(0, n, max(1, max_points // per_bucket) + 1).astype(int)
    keep = [edges[:-1], edges[1:] - 1]
    for values in extremes:
        values = np.where(np.isfinite(values), values, np.nan)
        for reduce in (np.fmax.reduceat, np.fmin.reduceat):
            bucket_value = reduce(values, edges[:-1])
            keep.append(_first_match(values, edges, bucket_value))
    return np.unique(np.concatenate(keep))


def _first_match(values: np.ndarray, edges: np.ndarray, bucket_value: np.ndarray) -> np.ndarray:
    """Per bucket, the position of its first value equal to ``bucket_value`` (the bucket's start if none)."""
    bucket = np.repeat(np.arange(len(edges) - 1), np.diff(edges))
    hit = values == bucket_value[bucket]
    first = np.full(len(edges) - 1, edges[-1])
    positions = np.flatnonzero(hit)
    np.minimum.at(first, bucket[positions], positions)
    return np.where(first < edges[-1], first, edges[:-1])


def drawdown_percent(values: np.ndarray, initial_capital: float) -> np.ndarray:
    """Percent below the running peak (the capital counts as the first peak)."""
    peak = np.maximum.accumulate(np.concatenate([[initial_capital], values]))[1:]
    return (values / peak - 1.0) * 100


def equity_figure(equity: pd.DataFrame, initial_capital: float, height: int = 360,
                  benchmarks: dict[str, pd.Series] | None = None) -> go.Figure:
    """Equity curve over its drawdown (percent below the running peak); ``benchmarks`` (name -> equity
    at the same times, e.g. buy-and-hold) as dotted lines over it.  At most ~MAX_POINTS per line."""
    values = equity["equity"].to_numpy(float)
    drawdown = drawdown_percent(values, initial_capital)
    keep = decimate(len(values), extremes=(values, drawdown))
    idx, values, drawdown = to_ny(equity.index[keep]), values[keep], drawdown[keep]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.03)
    fig.add_trace(go.Scatter(x=idx, y=values, name="equity", line=dict(color=theme.ACCENT, width=1.6),
                             fill="tozeroy", fillcolor="rgba(41,98,255,0.08)"), row=1, col=1)
    lines = [values]
    for k, (name, series) in enumerate((benchmarks or {}).items()):
        marks = series.to_numpy(float)[keep]
        lines.append(marks)
        fig.add_trace(go.Scatter(x=idx, y=marks, name=name, line=dict(color=theme.BENCHMARKS[k % len(theme.BENCHMARKS)],
                                                                        width=1.2, dash="dot")), row=1, col=1)
    fig.add_hline(y=initial_capital, line=dict(color=theme.MUTED, width=1, dash="dot"), row=1, col=1)
    fig.add_trace(go.Scatter(x=idx, y=drawdown, name="drawdown %", line=dict(color=theme.DOWN, width=1),
                             fill="tozeroy", fillcolor="rgba(239,83,80,0.25)", showlegend=False), row=2, col=1)
    every = np.concatenate([*lines, [initial_capital]])
    lo, hi = float(np.nanmin(every)), float(np.nanmax(every))
    pad = max(initial_capital * 0.005, (hi - lo) * 0.08)
    fig.update_yaxes(range=[lo - pad, hi + pad], tickprefix="$", tickformat=",.0f", row=1, col=1)
    deepest = float(np.nanmin(drawdown)) if len(drawdown) else 0.0
    fig.update_yaxes(ticksuffix="%", tickformat=".1f", range=[min(deepest * 1.15, -1.0), 0.3], row=2, col=1)
    fig.update_layout(showlegend=bool(benchmarks), title=dict(text="Equity and drawdown", font=dict(size=13)))
    return _base(fig, height, idx)


def trade_markers(trades: pd.DataFrame, symbol: str) -> list[go.Scatter]:
    """Entry (green ▲) and exit (red ▼) markers of one symbol's trades."""
    if trades is None or trades.empty:
        return []
    mine = trades[trades["symbol"] == symbol]
    out = []
    if len(mine):
        text = [f"buy {q:g} @ {p:.2f}<br>{r}" for q, p, r in zip(mine["qty"], mine["entry_price"],
                                                                  mine["entry_rule"].fillna(""))]
        out.append(go.Scatter(x=to_ny(mine["entry_ts"]), y=mine["entry_price"], mode="markers", name="entry",
                              marker=dict(symbol="triangle-up", size=11, color=theme.UP,
                                          line=dict(color="#ffffff", width=0.5)),
                              hovertext=text, hoverinfo="text+x"))
    closed = mine[mine["exit_ts"].notna()]
    if len(closed):
        text = [f"sell @ {p:.2f}, P&L {pnl:+.2f}<br>{r}" for p, pnl, r in
                zip(closed["exit_price"], closed["pnl"], closed["exit_rule"].fillna(""))]
        out.append(go.Scatter(x=to_ny(closed["exit_ts"]), y=closed["exit_price"], mode="markers", name="exit",
                              marker=dict(symbol="triangle-down", size=11, color=theme.DOWN,
                                          line=dict(color="#ffffff", width=0.5)),
                              hovertext=text, hoverinfo="text+x"))
    return out


def price_figure(frame: pd.DataFrame, trades: pd.DataFrame | None, symbol: str, height: int = 420) -> go.Figure:
    """Candles of ``symbol`` with the backtest's entries and exits."""
    bars, step = display_bars(frame)
    fig = go.Figure([candles(bars, symbol), *trade_markers(trades, symbol)])
    fig.update_layout(title=dict(text=f"{symbol} · {step_label(step)} bars · entries ▲ exits ▼", font=dict(size=13)),
                      xaxis_rangeslider_visible=False)
    return _base(fig, height, bars.index)


# ----------------------------------------------------------------------------- metrics

PERCENT = {"total_return", "cagr", "max_drawdown", "volatility", "win_rate", "exposure"}
LABELS = {
    "total_return": "Total return", "cagr": "CAGR", "sharpe": "Sharpe", "sortino": "Sortino",
    "max_drawdown": "Max drawdown", "calmar": "Calmar", "volatility": "Volatility (ann.)", "trades": "Trades",
    "win_rate": "Win rate", "profit_factor": "Profit factor", "expectancy": "Expectancy ($/trade)",
    "exposure": "Exposure", "initial_capital": "Initial capital", "final_equity": "Final equity",
    "start": "Start", "end": "End",
}


def format_metric(key: str, value) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    if key in PERCENT:
        return f"{value * 100:+.2f}%" if key in ("total_return", "cagr", "max_drawdown") else f"{value * 100:.1f}%"
    if key in ("initial_capital", "final_equity", "expectancy"):
        return f"${value:,.2f}"
    if key == "trades":
        return f"{int(value)}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def metrics_table(metrics: dict) -> pd.DataFrame:
    """Two columns, metric and value, in the SPEC's order (warnings excluded)."""
    rows = [(LABELS.get(k, k), format_metric(k, v)) for k, v in metrics.items() if k != "warnings"]
    return pd.DataFrame(rows, columns=["metric", "value"])
