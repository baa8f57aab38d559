"""The strategy settings as form fields (universe, capital, cycle, sizing, orders, risk)."""

from __future__ import annotations

import streamlit as st

from rbts.dsl.errors import RbtsError
from rbts.ui import session
from rbts.ui.builder_model import TIMEFRAMES
from rbts.ui.document import Document
from rbts.ui.settings_model import SettingsSpec, apply_spec, spec_from_strategy
from rbts.ui.text_edits import replace_settings

SIZING_LABELS = {"equal": "equal (equity / tickers)", "percent": "% of equity", "fixed": "fixed USD"}
ORDER_LABELS = {"": "default (limit 0.05%, 1 cycle)", "limit": "limit", "market": "market"}
RISK_LABELS = {"max_daily_loss": "max daily loss %", "stop_loss": "stop loss %", "take_profit": "take profit %",
               "trailing_stop": "trailing stop %", "broker_stop": "broker stop %"}


def _pick(options, value):
    options = list(options)
    return options.index(value) if value in options else 0


def render_settings_form(doc: Document, symbols: list[str]) -> None:
    strategy = doc.valid.strategy
    from rbts.dsl.ast import ParamRef
    from rbts.dsl.param_refs import setting_refs

    given_by_params = sorted({n.name for n in setting_refs(strategy) if isinstance(n, ParamRef)})
    if given_by_params:  # the form edits literal values only; it must not overwrite a param's use
        st.info(f"Settings here use params ({', '.join(given_by_params)}): edit them in the code.")
        return
    spec = spec_from_strategy(strategy)
    g = session.gen("settings")
    with st.form(f"strategy.settings.{g}", border=False):
        name = st.text_input("Name", spec.name, key=f"strategy.set.{g}.name")
        options = sorted(set(symbols) | set(spec.universe))
        universe = st.multiselect("Universe (tickers the rules trade)", options, default=list(spec.universe),
                                  key=f"strategy.set.{g}.universe")
        extra = st.text_input("More tickers (comma separated)", "", key=f"strategy.set.{g}.extra",
                              placeholder="e.g. TSLA, BRK.B")
        c1, c2, c3 = st.columns(3)
        capital = c1.number_input("Capital (USD)", min_value=1.0, value=float(spec.capital), step=1000.0,
                                  format="%.0f", key=f"strategy.set.{g}.capital")
        tfs = ("",) + TIMEFRAMES
        cycle = c2.selectbox("Cycle", tfs, index=_pick(tfs, spec.cycle), key=f"strategy.set.{g}.cycle",
                             format_func=lambda t: t or "auto (smallest timeframe)")
        bars = c3.selectbox("Bars", tfs, index=_pick(tfs, spec.bars), key=f"strategy.set.{g}.bars",
                            format_func=lambda t: t or "1m (default)")
        c1, c2 = st.columns(2)
        sizing = c1.selectbox("Sizing", list(SIZING_LABELS), index=_pick(SIZING_LABELS, spec.sizing),
                              format_func=SIZING_LABELS.get, key=f"strategy.set.{g}.sizing")
        sizing_value = c2.number_input("Sizing value (% or USD; not used by equal)", min_value=0.0,
                                       value=float(spec.sizing_value), key=f"strategy.set.{g}.sizing_value")
        c1, c2, c3 = st.columns(3)
        order = c1.selectbox("Orders", list(ORDER_LABELS), index=_pick(ORDER_LABELS, spec.order),
                             format_func=ORDER_LABELS.get, key=f"strategy.set.{g}.order")
        offset = c2.number_input("Limit offset %", min_value=0.0, value=float(spec.limit_offset), step=0.01,
                                 format="%g", key=f"strategy.set.{g}.offset")
        ttl = c3.text_input("Limit good for", spec.ttl, placeholder="1 cycle (default), 5m, 2 cycles",
                            key=f"strategy.set.{g}.ttl")
        risks = {}
        for col, (kind, label) in zip(st.columns(len(RISK_LABELS)), RISK_LABELS.items()):
            value = col.number_input(label, min_value=0.0, value=float(spec.risks.get(kind, 0.0)), step=0.5,
                                     format="%g", key=f"strategy.set.{g}.{kind}", help="0 = off")
            if value:
                risks[kind] = value
        fees = st.number_input("Fees % of notional per fill", min_value=0.0, value=float(spec.fees), step=0.01,
                               format="%g", key=f"strategy.set.{g}.fees")
        submitted = st.form_submit_button("Apply settings", type="primary")
    if not submitted:
        return
    more = [t.strip().upper() for t in extra.split(",") if t.strip()]
    new = SettingsSpec(name.strip(), tuple(dict.fromkeys([*universe, *more])), capital, cycle, bars, sizing,
                       sizing_value, order, offset, ttl.strip() if order == "limit" else "", risks, fees)
    try:
        text = replace_settings(doc.text, strategy, apply_spec(strategy, new))
    except (ValueError, RbtsError) as exc:
        st.error(f"Settings not applied: {exc}")
        return
    session.apply_text(doc, text, "Settings applied", lambda: session.bump("settings"))

