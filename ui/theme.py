"""The one look of the app: a TradingView-like dark Plotly template and a little CSS.

Every figure in the app is built with ``template=TEMPLATE`` (registered with Plotly
under the name ``"rbts_dark"``), so colours live here and nowhere else.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

BACKGROUND = "#131722"  # chart and page background (navy-charcoal)
PANEL = "#1e222d"  # cards, sidebars
GRID = "#2a2e39"  # thin grid lines
TEXT = "#d1d4dc"
MUTED = "#787b86"
ACCENT = "#2962ff"  # TradingView blue
UP = "#26a69a"  # green candles, true periods, profits
DOWN = "#ef5350"  # red candles, losses, drawdown
WARMING = "#f7b500"  # indicator warm-up
BENCHMARKS = ("#b2b5be", "#ff9800", "#ab47bc")  # buy-and-hold lines beside the equity curve
SERIES = ("#2962ff", "#ff9800", "#ab47bc", "#26c6da", "#ec407a", "#9ccc65")

TEMPLATE_NAME = "rbts_dark"


def _template() -> go.layout.Template:
    axis = dict(
        gridcolor=GRID, gridwidth=1, zeroline=False, linecolor=GRID, showline=True, automargin=True,
        tickfont=dict(color=MUTED, size=11), title=dict(font=dict(color=MUTED, size=11)),
    )
    layout = go.Layout(
        paper_bgcolor=BACKGROUND,
        plot_bgcolor=BACKGROUND,
        font=dict(family="-apple-system, 'Trebuchet MS', Roboto, Ubuntu, sans-serif", color=TEXT, size=12),
        colorway=list(SERIES),
        xaxis=axis,
        yaxis={**axis, "side": "right"},
        legend=dict(bgcolor="rgba(0,0,0,0)", font=dict(color=TEXT, size=11), orientation="h",
                    yanchor="bottom", y=1.0, xanchor="left", x=0),
        margin=dict(l=10, r=10, t=30, b=10),
        hovermode="x unified",
        hoverlabel=dict(bgcolor=PANEL, bordercolor=GRID, font=dict(color=TEXT)),
    )
    data = go.layout.template.Data(
        candlestick=[go.Candlestick(
            increasing=dict(line=dict(color=UP, width=1), fillcolor=UP),
            decreasing=dict(line=dict(color=DOWN, width=1), fillcolor=DOWN),
        )],
        scatter=[go.Scatter(line=dict(width=1.5))],
    )
    return go.layout.Template(layout=layout, data=data)


TEMPLATE = _template()
pio.templates[TEMPLATE_NAME] = TEMPLATE

# Small CSS touches Streamlit's theme options do not reach: tighter page, sharp cards.
CSS = f"""
<style>
.block-container {{ padding-top: 2.2rem; padding-bottom: 1rem; max-width: 100%; }}
div[data-testid="stMetricValue"] {{ font-size: 1.25rem; }}
div[data-testid="stExpander"] details {{ border-color: {GRID}; border-radius: 4px; }}
.rbts-rule {{ font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85rem; color: {TEXT}; }}
.rbts-badge {{ display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 0.72rem;
              font-weight: 600; margin-right: 6px; color: #fff; }}
.rbts-global {{ background: #5d606b; }} .rbts-entry {{ background: {UP}; }} .rbts-exit {{ background: {DOWN}; }}
.rbts-muted {{ color: {MUTED}; font-size: 0.8rem; }}
.rbts-true {{ color: {UP}; font-weight: 600; }} .rbts-false {{ color: {DOWN}; font-weight: 600; }}
.rbts-warming {{ color: {WARMING}; font-weight: 600; }}
/* The Live tab redraws itself every few seconds: Streamlit's dimming of the elements not yet redrawn
   would make its tables blink at each refresh (they are replaced in place a moment later). */
.st-key-live_monitor [data-stale="true"] {{ opacity: 1 !important; transition: none !important; }}
</style>
"""
