"""Chart controls (symbol, dates) and the chart drawn next to each rule."""

from __future__ import annotations

import html
from datetime import date, timedelta

import streamlit as st

from rbts.dsl.errors import RbtsError
from rbts.runtime.settings import Settings
from rbts.ui.catalog import catalog_range, catalog_symbols
from rbts.ui.document import Document
from rbts.ui.rule_figures import rule_figure
from rbts.ui.rule_view import RuleView, build_rule_views, last_true_text

CACHE_KEY = "strategy.rc.cache"


def _views(doc: Document, settings: Settings, symbol: str, start: date, end: date) -> list[RuleView]:
    """Rule views for the chosen range, evaluated once per (strategy, symbol, range)."""
    key = (doc.valid_text, symbol, start, end)
    cache = st.session_state.setdefault(CACHE_KEY, {})
    if key not in cache:
        from dataclasses import replace

        from rbts.compiler.program import compile_strategy
        from rbts.compiler.warmup import warmup_range
        from rbts.runtime.data.catalog import BarStore

        checked = doc.valid
        resolved = replace(checked.settings, universe=(symbol,),
                           data_symbols=tuple(s for s in checked.settings.data_symbols if s != symbol))
        program = compile_strategy(replace(checked, settings=resolved))
        # History before the shown range (as traces and backtests load it), so rules are warm at its start.
        load_from, since = warmup_range(program, start.isoformat())
        frames = BarStore(settings).load_frames(resolved.symbols, load_from, end)
        since = since.value
        cache.clear()  # one entry: rule views hold whole series
        cache[key] = build_rule_views(program.evaluate(frames), symbol, since)
    return cache[key]


def chart_controls(doc: Document, settings: Settings) -> tuple[str, date, date] | None:
    symbols = catalog_symbols(settings)
    span = catalog_range(settings)
    if doc.valid is None or not symbols or span is None:
        if not symbols:
            st.caption("No bars in the data catalog, so no rule charts (run `rbts data demo`).")
        return None
    universe = [s for s in doc.valid.settings.universe if s in symbols] or symbols
    c1, c2, c3, _ = st.columns([2, 2, 2, 4])
    symbol = c1.selectbox("Chart ticker", universe, key="strategy.rc.symbol")
    start = c2.date_input("From", max(span[0], span[1] - timedelta(days=13)), min_value=span[0],
                          max_value=span[1], key="strategy.rc.start")
    end = c3.date_input("To", span[1], min_value=span[0], max_value=span[1], key="strategy.rc.end")
    if end < start:
        st.warning("The end date is before the start date.")
        return None
    return symbol, start, end


def make_chart_slot(doc: Document, settings: Settings, controls):
    """A function drawing one rule's chart, or None when there is nothing to chart."""
    if controls is None:
        return None
    symbol, start, end = controls
    try:
        views = {v.name: v for v in _views(doc, settings, symbol, start, end)}
    except RbtsError as exc:
        st.warning(f"Rule charts unavailable: {exc}")
        return None

    def slot(name: str, chart_col, info_col) -> None:
        view = views.get(name)
        if view is None or not len(view.times):
            chart_col.caption("No cycles in this range.")
            return
        with info_col:
            render_rule_status(view)
        chart_col.plotly_chart(rule_figure(view, compact=True), width="stretch",
                               config={"displayModeBar": False}, key=f"strategy.rc.fig.{name}")
        # A toggle, not an expander: an expander would build the full chart on every rerun.
        if chart_col.toggle("Full chart and why (not) now", key=f"strategy.rc.more.{name}"):
            with chart_col:
                render_rule_detail(view)

    return slot


def render_rule_status(view: RuleView) -> None:
    state = view.state_now
    where = f" on {view.symbol}" if view.symbol else ""
    st.markdown(f"<span class='rbts-{state}'>{state.upper()} now</span>{html.escape(where)} · "
                f"<span class='rbts-muted'>{html.escape(last_true_text(view))} · "
                f"true {view.true_share():.0%} of cycles</span>", unsafe_allow_html=True)


def render_rule_detail(view: RuleView) -> None:
    st.plotly_chart(rule_figure(view, compact=False), width="stretch",
                    key=f"strategy.rc.full.{view.name}")
    failing = view.failing_now()
    if not failing:
        st.markdown("Every condition of this rule holds at the last cycle.")
        return
    st.markdown("**Not true now because:**")
    for part in failing:
        values = ", ".join(f"`{k}` = {'warming' if v is None else f'{v:.6g}'}" for k, v in part.values.items())
        st.markdown(f"- `{part.text}` is **{part.state}**" + (f" ({values})" if values else ""))
