"""Per-rule charts: the rule's inputs with the cycles it was true shaded (warming apart)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rbts.ui import theme
from rbts.ui.figures import rangebreaks
from rbts.ui.rule_view import TRUE, WARMING, Leaf, RuleView

TRUE_FILL = "rgba(38,166,154,0.22)"
WARMING_FILL = "rgba(247,181,0,0.16)"


def _band(times, mask: np.ndarray, color: str, name: str, show: bool) -> go.Scatter:
    """A filled step on a hidden 0..1 axis: 1 where ``mask`` holds."""
    return go.Scatter(x=times, y=mask.astype(float), mode="lines", line=dict(width=0, shape="hv"),
                      fill="tozeroy", fillcolor=color, name=name, showlegend=show, hoverinfo="skip")


def _starts(times, states: np.ndarray) -> go.Scatter:
    """A marker where each true period begins (a one-cycle cross is too thin to see as shading)."""
    true = states == TRUE
    begins = true & ~np.r_[False, true[:-1]]
    return go.Scatter(x=times[begins], y=np.full(int(begins.sum()), 0.94), mode="markers", name="became true",
                      marker=dict(symbol="triangle-down", size=7, color=theme.UP), showlegend=False,
                      hovertemplate="became true %{x}<extra></extra>")


def state_traces(times, states: np.ndarray, show_legend: bool) -> list[go.Scatter]:
    """A rule's states on a hidden 0..1 axis: true cycles shaded green, warming amber, ▼ where true
    periods start.  The Strategy tab's rule charts and the Live tab's rule strip both draw with it."""
    return [_band(times, states == TRUE, TRUE_FILL, "true", show_legend),
            _band(times, states == WARMING, WARMING_FILL, "warming", show_legend),
            _starts(times, states)]


def _is_constant(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return len(finite) > 0 and np.all(finite == finite[0])


def _series_traces(leaf: Leaf, times, row_index: int) -> list[go.Scatter]:
    out = []
    for k, (label, values) in enumerate(leaf.series):
        if _is_constant(values):
            line = dict(color=theme.MUTED, width=1, dash="dash")
        else:
            line = dict(color=theme.SERIES[(k + row_index) % len(theme.SERIES)], width=1.4)
        out.append(go.Scatter(x=times, y=values, mode="lines", name=label, line=line, connectgaps=False))
    return out


def rule_figure(view: RuleView, compact: bool = True) -> go.Figure:
    """Compact: the first compared inputs with the rule's true cycles shaded.
    Full: one row per elementary condition, each shaded by its own truth."""
    leaves = [leaf for leaf in view.leaves if leaf.series] or view.leaves[:1]
    rows = leaves[:1] if compact else leaves
    fig = make_subplots(rows=len(rows), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        specs=[[{"secondary_y": True}]] * len(rows),
                        subplot_titles=None if compact else [leaf.text for leaf in rows])
    for r, leaf in enumerate(rows, start=1):
        states = view.states if compact else leaf.states
        for trace in state_traces(view.times, states, show_legend=r == 1):
            fig.add_trace(trace, row=r, col=1, secondary_y=True)
        for trace in _series_traces(leaf, view.times, r - 1):
            fig.add_trace(trace, row=r, col=1, secondary_y=False)
        fig.update_yaxes(range=[0, 1], visible=False, showgrid=False, row=r, col=1, secondary_y=True)
        fig.update_yaxes(side="right", row=r, col=1, secondary_y=False)
    height = 190 if compact else 140 + 190 * len(rows)
    fig.update_layout(template=theme.TEMPLATE_NAME, height=height, hovermode="x unified",
                      margin=dict(l=8, r=8, t=26 if compact else 40, b=8),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, font=dict(size=10)))
    if not compact:  # subplot titles sit above each row: the legend goes below the chart
        fig.update_annotations(font=dict(size=11, color=theme.MUTED))
        fig.update_layout(legend=dict(orientation="h", y=-0.06, yanchor="top", x=0),
                          margin=dict(l=8, r=8, t=40, b=60))
    fig.update_xaxes(rangebreaks=rangebreaks(view.times))
    return fig
