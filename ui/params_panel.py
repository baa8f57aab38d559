"""The builder's Parameters section: the strategy's ``param`` lines, add / change / delete."""

from __future__ import annotations

import html

import streamlit as st

from rbts.dsl.formatter import format_param
from rbts.ui import session
from rbts.ui.document import Document
from rbts.ui.params_model import param_node, used_params, with_param, without_param


def render_params(doc: Document) -> None:
    strategy = doc.valid.strategy
    used = used_params(strategy)
    for param in strategy.params:
        text_col, button_col = st.columns([6, 1], vertical_alignment="center")
        note = "" if param.name in used else " <span class='rbts-muted'>(not used yet)</span>"
        text_col.markdown(f"<span class='rbts-rule'>{html.escape(format_param(param))}</span>{note}",
                          unsafe_allow_html=True)
        if button_col.button("", key=f"strategy.param.del.{param.name}", icon=":material/delete:",
                             disabled=param.name in used,
                             help=f"Delete {param.name}" + (" (used: replace its uses first)" if param.name in used else "")):
            session.apply_text(doc, without_param(doc.text, strategy, param.name), f"Deleted `param {param.name}`")
    st.caption("A parameter is a number, percent or duration with a default and the values it may take: "
               "`rbts sweep` tries them, `--set NAME=VALUE` picks one. A rule's numeric inputs can use a "
               "number parameter instead of a number. The same name again changes that parameter.")
    g = session.gen("param")
    c1, c2, c3 = st.columns([2, 2, 3])
    name = c1.text_input("name", "", placeholder="fast", key=f"strategy.param.{g}.name")
    default = c2.text_input("default", "", placeholder="9", key=f"strategy.param.{g}.default")
    domain = c3.text_input("values", "", placeholder="5..20, [5, 9, 13] or 0.5%..2% step 0.5%",
                           key=f"strategy.param.{g}.domain")
    if st.button("Add or change parameter", key=f"strategy.param.{g}.add", icon=":material/add:"):
        try:
            text = with_param(doc.text, strategy, param_node(name, default, domain))
        except ValueError as exc:
            st.error(str(exc))
            return
        session.apply_text(doc, text, f"Set `param {name.strip()}`", lambda: session.bump("param"))
