"""The rule list: each rule's text, edit/delete, and next to it a chart of when it was true."""

from __future__ import annotations

import html

import streamlit as st

from rbts.dsl import ast
from rbts.dsl.formatter import format_expr
from rbts.ui import session
from rbts.ui.builder_model import rule_spec
from rbts.ui.builder_panel import start_editing
from rbts.ui.document import Document
from rbts.ui.text_edits import delete_statement


def rule_header_html(scope: str, name: str, cond_text: str, editable: bool) -> str:
    note = "" if editable else " <span class='rbts-muted'>· edit in the code</span>"
    return (f"<span class='rbts-badge rbts-{scope}'>{scope.upper()}</span><b>{html.escape(name)}</b>{note}<br>"
            f"<span class='rbts-rule'>{html.escape(cond_text)}</span>")


def render_rule_list(doc: Document, chart_slot=None) -> None:
    """``chart_slot(rule_name, column)`` draws the rule's chart (when the data is there)."""
    if doc.valid is None:
        st.info("Write a valid strategy to see its rules here.")
        return
    strategy = doc.valid.strategy
    names = ast.rule_names(strategy)
    rules = [(i, s) for i, s in enumerate(strategy.body) if isinstance(s, ast.Rule)]
    if not rules:
        st.info("No rules yet: add one with the builder (or type it in the code).")
    for (index, rule), name in zip(rules, names):
        with st.container(border=True):
            left, right = st.columns([2, 5]) if chart_slot else (st.container(), None)
            with left:
                editable = rule_spec(rule) is not None
                st.markdown(rule_header_html(rule.scope, name, format_expr(rule.cond), editable),
                            unsafe_allow_html=True)
                _rule_buttons(doc, strategy, index, name, editable)
            if chart_slot is not None:
                chart_slot(name, right, left)


def _rule_buttons(doc: Document, strategy: ast.Strategy, index: int, name: str, editable: bool) -> None:
    c1, c2, _ = st.columns([1, 1, 1])
    if c1.button("Edit", key=f"strategy.rules.edit.{index}.{name}", disabled=not (editable and doc.is_valid),
                 icon=":material/edit:", help="Load this rule into the builder"):
        start_editing(index)
        session.flash(f"Editing `{name}` in the builder: change it and click Save rule.", "info")
        st.rerun()
    if c2.button("Delete", key=f"strategy.rules.del.{index}.{name}", disabled=not doc.is_valid,
                 icon=":material/delete:"):
        session.apply_text(doc, delete_statement(doc.text, strategy, index), f"Deleted rule `{name}`")
