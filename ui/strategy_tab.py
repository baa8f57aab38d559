"""The Strategy tab: file actions, builder | code, rules with their charts, backtest, optimize."""

from __future__ import annotations

import streamlit as st

from rbts.runtime.settings import Settings
from rbts.ui import session
from rbts.ui.backtest_panel import render_backtest
from rbts.ui.builder_panel import render_builder
from rbts.ui.catalog import catalog_symbols, synthetic_symbols
from rbts.ui.editor_panel import render_editor
from rbts.ui.file_panel import render_actions, render_import_errors
from rbts.ui.optimize_panel import render_optimize
from rbts.ui.rule_charts import chart_controls, make_chart_slot
from rbts.ui.rules_panel import render_rule_list


def render_strategy_tab(settings: Settings) -> None:
    doc = session.document()
    render_actions(doc, settings)
    session.show_flashes()
    render_import_errors()
    symbols = catalog_symbols(settings)
    _synthetic_note(doc, settings)
    builder_col, code_col = st.columns([6, 5], gap="medium")
    with code_col:
        render_editor(doc)
    with builder_col:
        render_builder(doc, symbols)
    st.markdown("#### Rules")
    st.caption("Each rule next to its inputs on the chart; shaded green where it was true, amber while "
               "its indicators were still warming up.")
    controls = chart_controls(doc, settings)
    render_rule_list(doc, make_chart_slot(doc, settings, controls))
    st.divider()
    render_backtest(doc, settings)
    st.divider()
    render_optimize(doc, settings)


def _synthetic_note(doc, settings: Settings) -> None:
    used = doc.valid.settings.symbols if doc.valid is not None else ()
    fake = [s for s in used if s in synthetic_symbols(str(settings.catalog_dir), settings)]
    if fake:
        st.caption(f":material/science: Charts and backtests of {', '.join(fake)} use the SYNTHETIC demo bars "
                   "(`rbts data demo`, a seeded random walk) — not market data. Import real bars with "
                   "`rbts data import` or `rbts data download`.")
