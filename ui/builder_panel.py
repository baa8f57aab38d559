"""The visual builder: settings form, named curves, and the rule form.

Every change goes through :mod:`rbts.ui.text_edits` into the document's text, so
the code editor always shows what the builder made (canonically formatted, comments
kept).  The builder only works on a valid text; while the code has errors it waits.
"""

from __future__ import annotations

import html

import streamlit as st

from rbts.dsl import ast
from rbts.dsl.errors import RbtsError
from rbts.dsl.formatter import format_statement
from rbts.ui import session
from rbts.ui.builder_model import Condition, Curve, LetSpec, RuleSpec, let_spec, rule_spec
from rbts.ui.curve_inputs import curve_input, condition_input
from rbts.ui.document import Document
from rbts.ui.params_model import param_kinds
from rbts.ui.params_panel import render_params
from rbts.ui.settings_form import render_settings_form
from rbts.ui.text_edits import delete_statement, insert_statement, replace_statement

EDIT_RULE = "strategy.edit_rule"  # body index of the rule in the form, or None for a new rule


def render_builder(doc: Document, catalog_symbols: list[str]) -> None:
    st.markdown("#### Builder")
    if not doc.is_valid:
        st.info("The builder waits until the code is valid again (fix the errors or revert).",
                icon=":material/pause_circle:")
        return
    symbols = sorted(set(catalog_symbols) | set(doc.valid.settings.symbols))
    with st.expander("Settings", expanded=False):
        render_settings_form(doc, symbols)
    with st.expander("Parameters (param)", expanded=bool(doc.valid.strategy.params)):
        render_params(doc)
    with st.expander("Named curves (let)", expanded=False):
        _render_lets(doc, symbols)
    _render_rule_form(doc, symbols)


def _let_names(strategy: ast.Strategy) -> list[str]:
    return [let.name for let in strategy.lets]


def _render_lets(doc: Document, symbols: list[str]) -> None:
    strategy = doc.valid.strategy
    for index, stmt in enumerate(strategy.body):
        if not isinstance(stmt, ast.Let):
            continue
        text_col, button_col = st.columns([6, 1], vertical_alignment="center")
        note = "" if let_spec(stmt) is not None else " <span class='rbts-muted'>(edit in the code)</span>"
        text_col.markdown(f"<span class='rbts-rule'>{html.escape(format_statement(stmt))}</span>{note}",
                          unsafe_allow_html=True)
        if button_col.button("", key=f"strategy.let.del.{index}.{stmt.name}", icon=":material/delete:",
                             help=f"Delete {stmt.name} (refused while a rule uses it)"):
            session.apply_text(doc, delete_statement(doc.text, strategy, index), f"Deleted `let {stmt.name}`")
    st.caption("A named curve can be used by any rule below it (pick \"Named curve\" as a rule's curve).")
    g = session.gen("let")
    c1, c2 = st.columns([1, 3])
    name = c1.text_input("name", value="", placeholder="fast", key=f"strategy.let.{g}.name")
    with c2:
        curve = curve_input(f"strategy.let.{g}.curve", Curve("indicator"), lets=_let_names(strategy),
                            symbols=symbols, allow_number=False, params=param_kinds(strategy))
    if st.button("Add named curve", key=f"strategy.let.{g}.add", icon=":material/add:"):
        try:
            text = insert_statement(doc.text, strategy, LetSpec(name.strip(), curve).node())
        except (ValueError, RbtsError) as exc:
            st.error(str(exc))
            return
        session.apply_text(doc, text, f"Added `let {name.strip()}`", lambda: session.bump("let"))


def start_editing(index: int | None) -> None:
    st.session_state[EDIT_RULE] = index
    session.bump("rule")


def _render_rule_form(doc: Document, symbols: list[str]) -> None:
    strategy = doc.valid.strategy
    index = st.session_state.get(EDIT_RULE)
    spec = None
    if index is not None and index < len(strategy.body) and isinstance(strategy.body[index], ast.Rule):
        spec = rule_spec(strategy.body[index])
    if spec is None:
        index = st.session_state[EDIT_RULE] = None
    title = "Add a rule" if index is None else f"Edit rule `{spec.name or strategy.body[index].scope}`"
    with st.container(border=True):
        st.markdown(f"**{title}**")
        session.gen_showing("rule", (index, spec))
        spec = _rule_inputs(spec or RuleSpec(), _let_names(strategy), symbols, param_kinds(strategy))
        _rule_form_buttons(doc, strategy, index, spec)


def _rule_inputs(spec: RuleSpec, lets: list[str], symbols: list[str], params: dict[str, str]) -> RuleSpec:
    g = session.gen("rule")
    prefix = f"strategy.rule.{g}"
    c1, c2 = st.columns([2, 3])
    scopes = list(ast.SCOPES)
    scope = c1.radio("scope", scopes, index=scopes.index(spec.scope), horizontal=True, key=f"{prefix}.scope",
                     help="global: once per cycle, gates all entries · entry: per ticker, all must hold to buy · "
                          "exit: per ticker, any one sells")
    name = c2.text_input("name (optional)", value=spec.name, placeholder="bull_cross", key=f"{prefix}.name")
    count_key = f"{prefix}.count"
    count = st.session_state.setdefault(count_key, len(spec.conditions))
    conditions = []
    for i in range(count):
        base = spec.conditions[i] if i < len(spec.conditions) else Condition()
        if i:
            st.markdown("<span class='rbts-muted'>and</span>", unsafe_allow_html=True)
        conditions.append(condition_input(f"{prefix}.c{i}", base, lets=lets, symbols=symbols, params=params))
    c_add, c_remove, _ = st.columns([2, 2, 5])
    if c_add.button("Add condition", key=f"{prefix}.more", icon=":material/add:"):
        st.session_state[count_key] = count + 1
        st.rerun()
    if count > 1 and c_remove.button("Remove last", key=f"{prefix}.less", icon=":material/remove:"):
        st.session_state[count_key] = count - 1
        st.rerun()
    return RuleSpec(scope, name.strip(), tuple(conditions))


def _rule_form_buttons(doc: Document, strategy: ast.Strategy, index: int | None, spec: RuleSpec) -> None:
    try:
        node = spec.node()
        st.code(format_statement(node), language="python")
    except (ValueError, KeyError) as exc:
        st.warning(str(exc))
        node = None
    c1, c2, _ = st.columns([2, 2, 5])
    label = "Add rule" if index is None else "Save rule"
    if c1.button(label, type="primary", key="strategy.rule.save", disabled=node is None, icon=":material/check:"):
        if index is None:
            text = insert_statement(doc.text, strategy, node)
        else:
            text = replace_statement(doc.text, strategy, index, node)
        message = f"{'Added' if index is None else 'Updated'} rule `{node.name or node.scope}`"
        session.apply_text(doc, text, message, lambda: start_editing(None))
    if index is not None and c2.button("Cancel", key="strategy.rule.cancel"):
        start_editing(None)
        st.rerun()
