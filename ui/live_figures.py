"""The Live tab's Plotly figures, as pure functions of :mod:`rbts.ui.live_model` outputs.

The equity chart (equity over day PnL; applies, breaker trips, safe mode, the IB connection lost or
restored and errors marked) and one ticker's chart (candles with the strategy's own indicator lines,
fill markers that explain themselves, resting limit orders, and under them the rule-state strip
drawn by the Strategy tab's own band builder).  Every figure uses the ``rbts_dark`` template and
draws a bounded number of points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rbts.ui import figures, theme
from rbts.ui.live_model import on_price_scale, to_times
from rbts.ui.rule_figures import state_traces
from rbts.ui.rule_view import RuleView

MARK_STYLE = {  # kind -> (marker symbol, colour, legend name)
    "apply": ("diamond", theme.ACCENT, "apply (new version)"),
    "breaker": ("x", theme.DOWN, "max_daily_loss breaker"),
    "safe_mode": ("triangle-down", theme.WARMING, "safe mode"),
    "connection": ("circle-open", theme.TEXT, "IB connection lost / restored"),
    "error": ("square", theme.DOWN, "error (refused apply, rule or bot error)"),
}
PRICE_PX, VALUES_PX, RULE_PX = 320, 110, 30


def _layout(fig: go.Figure, height: int, times: pd.DatetimeIndex) -> go.Figure:
    fig.update_layout(template=theme.TEMPLATE_NAME, height=height, margin=dict(l=10, r=10, t=30, b=10),
                      uirevision="live")  # zoom and hidden traces survive the refresh
    if len(times):
        fig.update_xaxes(rangebreaks=figures.rangebreaks(times))
    return fig


# ----------------------------------------------------------------------------- equity


def equity_figure(equity: pd.DataFrame, marks: pd.DataFrame, height: int = 300) -> go.Figure:
    """Equity per cycle over the day's PnL, with a marker and a dotted line at each mark."""
    values = equity["equity"].to_numpy(float)
    day = equity["day_pnl"].to_numpy(float)
    keep = figures.decimate(len(values), extremes=(values, np.nan_to_num(day)))
    times = to_times(equity["ts"].to_numpy("int64")[keep])
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.04)
    fig.add_trace(go.Scatter(x=times, y=values[keep], name="equity", line=dict(color=theme.ACCENT, width=1.6),
                             hovertemplate="equity %{y:$,.2f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=times, y=day[keep], name="day PnL", line=dict(color=theme.MUTED, width=1),
                             fill="tozeroy", fillcolor="rgba(120,123,134,0.18)",
                             hovertemplate="day PnL %{y:+,.2f}<extra></extra>"), row=2, col=1)
    for trace in _mark_traces(equity, marks):
        fig.add_trace(trace, row=1, col=1)
    for ts in marks["ts"]:
        fig.add_vline(x=to_times([ts])[0], line=dict(color=theme.MUTED, width=1, dash="dot"))
    fig.update_yaxes(range=_padded(values, 0.005), tickprefix="$", tickformat=",.2f", row=1, col=1)
    fig.update_yaxes(range=_padded(np.concatenate([[0.0], day]), 0.005 * _level(values)), tickformat="+,.2f",
                     row=2, col=1)
    fig.update_layout(hovermode="x unified", legend=dict(x=1, xanchor="right"))
    return _layout(fig, height, times)


def _level(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(abs(finite[-1])) if len(finite) else 1.0


def _padded(values: np.ndarray, least: float) -> list[float] | None:
    """A y range around ``values`` at least ``least`` (a fraction of the level, or an amount) high,
    so a flat line does not fill the panel with repeated ticks."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return None
    lo, hi = float(finite.min()), float(finite.max())
    span = max(hi - lo, least * _level(finite) if least < 1 else least, 1e-9)
    middle = (hi + lo) / 2
    return [middle - span * 0.6, middle + span * 0.6]


def _mark_traces(equity: pd.DataFrame, marks: pd.DataFrame) -> list[go.Scatter]:
    """One marker trace per kind of mark, each marker at the equity of the cycle it happened at."""
    stamps, values = equity["ts"].to_numpy("int64"), equity["equity"].to_numpy(float)
    out = []
    for kind, (symbol, color, name) in MARK_STYLE.items():
        mine = marks[marks["kind"] == kind]
        if mine.empty or not len(values):
            continue
        at = np.clip(np.searchsorted(stamps, mine["ts"].to_numpy("int64"), side="right") - 1, 0, len(values) - 1)
        out.append(go.Scatter(x=to_times(mine["ts"]), y=values[at], mode="markers", name=name,
                              marker=dict(symbol=symbol, size=11, color=color, line=dict(color="#fff", width=0.5)),
                              hovertext=mine["text"].tolist(), hovertemplate="%{hovertext}<extra></extra>"))
    return out


# ----------------------------------------------------------------------------- one ticker


def ticker_figure(symbol: str, bars: pd.DataFrame, lines: dict[str, pd.Series], fills: pd.DataFrame,
                  working: pd.DataFrame, views: list[RuleView], min_step: int = 0) -> go.Figure:
    """Candles (at least ``min_step`` seconds each, e.g. the cycle) with the indicator lines on the
    price scale, each other line in a small panel of its own, fill markers, resting limit orders, and
    one strip row per rule."""
    shown, step = figures.display_bars(bars, min_step=min_step) if len(bars) else (bars, 60)
    closes = shown["close"] if len(shown) else pd.Series(dtype=float)
    overlay = {k: v for k, v in lines.items() if on_price_scale(v, closes)}
    panels = [k for k in lines if k not in overlay]
    heights = [PRICE_PX] + [VALUES_PX] * len(panels) + [RULE_PX] * len(views)
    fig = make_subplots(rows=len(heights), cols=1, shared_xaxes=True, vertical_spacing=0.012,
                        row_heights=[h / sum(heights) for h in heights])
    if len(shown):
        fig.add_trace(figures.candles(shown, symbol), row=1, col=1)
    for k, label in enumerate(lines):
        fig.add_trace(_line(label, lines[label], theme.SERIES[k % len(theme.SERIES)]),
                      row=1 if label in overlay else 2 + panels.index(label), col=1)
    for trace in [*_working_traces(working, shown), *_fill_traces(fills)]:
        fig.add_trace(trace, row=1, col=1)
    first_rule_row = 2 + len(panels)
    for r, view in enumerate(views, start=first_rule_row):
        for trace in state_traces(view.times, view.states, show_legend=r == first_rule_row):
            fig.add_trace(trace, row=r, col=1)
        fig.update_yaxes(range=[0, 1], visible=False, row=r, col=1)
        _row_label(fig, f"<b>{view.scope}</b> {view.name}", r)
    for r, label in enumerate(panels, start=2):
        _row_label(fig, label, r, top=True)
    fig.update_xaxes(rangeslider_visible=False)
    fig.update_layout(hovermode="closest", hoverlabel=dict(align="left"),
                      meta={"symbol": symbol, "bar_seconds": step})
    times = shown.index if len(shown) else (views[0].times if views else pd.DatetimeIndex([]))
    return _layout(fig, sum(heights) + 50, times)


def _row_label(fig: go.Figure, text: str, row: int, top: bool = False) -> None:
    """The row's name over its left edge (a rule, or an indicator in its own panel)."""
    fig.add_annotation(text=text, xref="x domain", yref="y domain", x=0.002, y=0.95 if top else 0.5,
                       xanchor="left", yanchor="top" if top else "middle", showarrow=False,
                       font=dict(size=10, color=theme.TEXT), bgcolor="rgba(19,23,34,0.7)", row=row, col=1)


def _line(label: str, line: pd.Series, color: str) -> go.Scatter:
    values = line.to_numpy(float)
    keep = figures.decimate(len(values), extremes=(values,))
    return go.Scatter(x=line.index[keep], y=values[keep], mode="lines", name=label, connectgaps=False,
                      line=dict(color=color, width=1.3), hovertemplate=f"{label} %{{y:.4g}}<extra></extra>")


def _fill_traces(fills: pd.DataFrame) -> list[go.Scatter]:
    out = []
    for side, symbol, color in (("BUY", "triangle-up", theme.UP), ("SELL", "triangle-down", theme.DOWN)):
        mine = fills[fills["side"] == side]
        if mine.empty:
            continue
        out.append(go.Scatter(x=to_times(mine["ts"]), y=mine["price"].astype(float), mode="markers",
                              name="buys" if side == "BUY" else "sells",
                              marker=dict(symbol=symbol, size=12, color=color, line=dict(color="#fff", width=0.6)),
                              hovertext=mine["text"].tolist(), hovertemplate="%{hovertext}<extra></extra>"))
    return out


def _working_traces(working: pd.DataFrame, shown: pd.DataFrame) -> list[go.Scatter]:
    """A dashed line at each resting limit's price, from the cycle that placed it to the last bar."""
    if working.empty:
        return []
    end = shown.index[-1] if len(shown) else to_times(working["since"]).max()
    out = []
    for order in working.itertuples():
        color = theme.UP if order.side == "BUY" else theme.DOWN
        start = max(to_times([order.since])[0], shown.index[0]) if len(shown) else to_times([order.since])[0]
        out.append(go.Scatter(x=[start, end], y=[order.price, order.price], mode="lines", name=order.label,
                              line=dict(color=color, width=1.2, dash="dash"), showlegend=False,
                              hovertemplate=f"working {order.label}<extra></extra>"))
    return out


# ----------------------------------------------------------------------------- per day, across runs


def daily_figure(daily: pd.DataFrame, starts: pd.DataFrame, height: int = 300) -> go.Figure:
    """End-of-day equity over each day's PnL (bars), one category per traded day; restarts marked."""
    days = [f"{d:%Y-%m-%d}" for d in daily["day"]]
    pnl = daily["day_pnl"].to_numpy(float)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.62, 0.38], vertical_spacing=0.04)
    fig.add_trace(go.Scatter(x=days, y=daily["equity"].to_numpy(float), name="equity at the close",
                             mode="lines+markers", line=dict(color=theme.ACCENT, width=1.6), marker=dict(size=5),
                             customdata=daily["runs"], hovertemplate="%{x}: %{y:$,.2f} (run %{customdata})"
                                                                     "<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(x=days, y=pnl, name="day PnL", marker_color=[theme.UP if v >= 0 else theme.DOWN for v in pnl],
                         hovertemplate="%{x}: %{y:+,.2f}<extra></extra>"), row=2, col=1)
    start_days = [f"{d:%Y-%m-%d}" for d in to_times(starts["ts"]).date] if len(starts) else []
    for day, text in zip(start_days, starts["text"] if len(starts) else [], strict=True):
        fig.add_vline(x=day, line=dict(color=theme.MUTED, width=1, dash="dot"))
        fig.add_annotation(x=day, y=1, yref="paper", text="↻", hovertext=text, showarrow=False,
                           font=dict(color=theme.WARMING, size=13))
    fig.update_xaxes(type="category")
    fig.update_yaxes(tickprefix="$", tickformat=",.2f", row=1, col=1)
    fig.update_yaxes(tickformat="+,.2f", row=2, col=1)
    fig.update_layout(template=theme.TEMPLATE_NAME, height=height, margin=dict(l=10, r=10, t=30, b=10),
                      uirevision="live-daily", hovermode="x unified", legend=dict(x=1, xanchor="right"),
                      bargap=0.3)
    return fig
