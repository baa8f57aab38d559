"""The Live tab's charts (drawn inside its refreshing fragment): equity and day PnL, and one ticker's
candles, indicator lines, fills, resting orders and rule strip.

Reads the state store through :mod:`rbts.ui.live_data`; the figures are the pure builders of
:mod:`rbts.ui.live_figures`.  Each chart keeps its element key and a ``uirevision``, so a
refresh redraws it in place (no flicker, zoom kept).
"""

from __future__ import annotations

import streamlit as st

from rbts.runtime.live import control
from rbts.runtime.live.store import default_path
from rbts.ui import live_figures, live_model
from rbts.ui.catalog import load_bars
from rbts.ui.live_data import cycle_days, read_bars, read_daily, read_frames, strategy_info, with_bars

CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def active_strategy(settings):
    active = control.registry(settings).active()
    return strategy_info(active[0] if active else None)


def render_equity(path, frames) -> None:
    """Since the bot started (this run, per cycle), or per day across every run and restart."""
    c1, c2 = st.columns([3, 7], vertical_alignment="bottom")
    c1.markdown("**Equity and day PnL**")
    view = c2.segmented_control("Equity view", ["since start", "per day"], default="since start",
                                key="live_equity_view", label_visibility="collapsed")
    if view == "per day":
        equity, runs = read_daily(path)
        figure = live_figures.daily_figure(live_model.daily_equity(equity), live_model.run_starts(equity, runs))
    else:
        figure = live_figures.equity_figure(frames.equity, live_model.equity_marks(frames))
    st.plotly_chart(figure, width="stretch", config=CHART_CONFIG, key="live_equity_chart")


def render_charts(settings, snap: dict) -> None:
    path = default_path(settings.live_dir)
    symbols = sorted(s for s in (snap.get("cycle") or {}) if s)
    if not path.exists() or not symbols:
        st.caption("Charts appear with the bot's first cycle.")
        return
    symbol = st.session_state.get("live_chart_symbol")
    symbol = symbol if symbol in symbols else symbols[0]
    info = active_strategy(settings)
    frames = read_frames(path, symbol, info.scopes)
    render_equity(path, frames)
    c1, c2, _ = st.columns([2, 2, 6], vertical_alignment="bottom")
    c1.selectbox("Chart ticker", symbols, index=symbols.index(symbol), key="live_chart_symbol")
    candles = c2.segmented_control("Candles", ["cycle", "base bars"], default="cycle", key="live_chart_candles")
    frames = with_bars(frames, symbol, _bars(settings, path, symbol, frames))
    figure = live_figures.ticker_figure(
        symbol, live_model.bars_of(frames, symbol), live_model.indicator_lines(frames, symbol),
        live_model.fill_notes(frames, symbol), live_model.working_limits(frames, symbol),
        live_model.rule_views(frames, symbol), min_step=info.cycle_seconds if candles == "cycle" else 0)
    st.plotly_chart(figure, width="stretch", config=CHART_CONFIG, key="live_ticker_chart")


def _bars(settings, path, symbol: str, frames):
    """The bars the bot received; else (a store from before they were kept) the catalog's."""
    bars = read_bars(path, symbol, frames)
    days = cycle_days(frames)
    if bars.empty and days is not None:
        try:
            return load_bars(str(settings.catalog_dir), settings, symbol, *days)
        except Exception:  # noqa: BLE001 - not in the catalog either: lines and rules alone
            pass
    return bars
