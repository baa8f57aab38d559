"""The strategy settings as form fields (universe, capital, cycle, sizing, orders, risk).

Where the language takes a param (sizing value, limit offset and ttl, risks), the field has
an "or param" choice of the params of its kind beside its value.
"""

from __future__ import annotations

import streamlit as st

from rbts.dsl.errors import RbtsError
from rbts.ui import session
from rbts.ui.builder_model import TIMEFRAMES
from rbts.ui.document import Document
from rbts.ui.curve_inputs import param_label
from rbts.ui.params_model import of_kind, param_kinds
from rbts.ui.settings_model import SettingsSpec, apply_spec, check_param_kinds, spec_from_strategy
from rbts.ui.text_edits import replace_settings

SIZING_LABELS = {"equal": "equal (equity / tickers)", "percent": "% of equity", "fixed": "fixed USD"}
ORDER_LABELS = {"": "default (limit 0.05%, 1 cycle)", "limit": "limit", "market": "market"}
RISK_LABELS = {"max_daily_loss": "max daily loss %", "stop_loss": "stop loss %", "take_profit": "take profit %",
               "trailing_stop": "trailing stop %", "broker_stop": "broker stop %"}


def _pick(options, value):
    options = list(options)
    return options.index(value) if value in options else 0


def _or_param(col, value, names: tuple[str, ...], params: dict[str, str], key: str) -> str:
    """The "or param" choice under a field ("" = the field's own value). A param's kind is
    marked only where two kinds may stand (the sizing: a percent, or USD)."""
    if not names:
        return ""
    choices = ["", *names]
    mixed = len({params[n] for n in names}) > 1
    return col.selectbox("or param", choices, index=_pick(choices, value if isinstance(value, str) else ""),
                         format_func=param_label(params, "none") if mixed else lambda c: c or "none", key=key,
                         help="A param picked here replaces the value above")


def _value_or_param(col, label: str, value, params: dict[str, str], kinds: tuple[str, ...], key: str, **kw):
    """A number field with an "or param" choice under it: the param's name when one is picked."""
    number = col.number_input(label, value=0.0 if isinstance(value, str) else float(value), key=key, **kw)
    return _or_param(col, value, of_kind(params, *kinds), params, f"{key}.param") or number


def render_settings_form(doc: Document, symbols: list[str]) -> None:
    strategy = doc.valid.strategy
    params = param_kinds(strategy)
    spec = spec_from_strategy(strategy)
    g = session.gen_showing("settings", spec)
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
        sizing_value = _value_or_param(c2, "Sizing value (% or USD; not used by equal)", spec.sizing_value, params,
                                       ("percent", "number"), f"strategy.set.{g}.sizing_value", min_value=0.0)
        c1, c2, c3 = st.columns(3)
        order = c1.selectbox("Orders", list(ORDER_LABELS), index=_pick(ORDER_LABELS, spec.order),
                             format_func=ORDER_LABELS.get, key=f"strategy.set.{g}.order")
        offset = _value_or_param(c2, "Limit offset %", spec.limit_offset, params, ("percent",),
                                 f"strategy.set.{g}.offset", min_value=0.0, step=0.01, format="%g")
        durations = of_kind(params, "duration")
        ttl = c3.text_input("Limit good for", "" if spec.ttl in durations else spec.ttl,
                            placeholder="1 cycle (default), 5m, 2 cycles", key=f"strategy.set.{g}.ttl")
        ttl = _or_param(c3, spec.ttl, durations, params, f"strategy.set.{g}.ttl.param") or ttl
        risks = {}
        for col, (kind, label) in zip(st.columns(len(RISK_LABELS)), RISK_LABELS.items()):
            value = _value_or_param(col, label, spec.risks.get(kind, 0.0), params, ("percent",),
                                    f"strategy.set.{g}.{kind}", min_value=0.0, step=0.5, format="%g", help="0 = off")
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
        check_param_kinds(new, params)
        text = replace_settings(doc.text, strategy, apply_spec(strategy, new))
    except (ValueError, RbtsError) as exc:
        st.error(f"Settings not applied: {exc}")
        return
    session.apply_text(doc, text, "Settings applied", lambda: session.bump("settings"))

