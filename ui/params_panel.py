"""The builder's Parameters section: the strategy's ``param`` lines, add / change / delete."""

from __future__ import annotations

import html

import streamlit as st

from rbts.dsl import ast
from rbts.dsl.formatter import format_param
from rbts.ui import session
from rbts.ui.document import Document
from rbts.ui.params_model import (
    KINDS, ParamForm, add_param, param_form, used_params, with_param, without_param,
)

EDIT_PARAM = "strategy.edit_param"  # name of the param in the form, or None for a new one
KIND_LABELS = {"number": "number", "percent": "percent (%)", "duration": "duration (5m, 1h)"}
SHAPE_LABELS = {"range": "a range (from, to, step)", "list": "a list of values"}
# Placeholders per kind: default, from, to, step, list.
EXAMPLES = {
    "number": ("9", "5", "20", "optional for whole numbers", "5, 9, 13"),
    "percent": ("2", "1", "4", "0.5", "1, 2, 3"),
    "duration": ("5m", "5m", "30m", "5m", "1m, 5m, 15m"),
}


def start_editing_param(name: str | None) -> None:
    st.session_state[EDIT_PARAM] = name
    session.bump("param")


def render_params(doc: Document) -> None:
    strategy = doc.valid.strategy
    used = used_params(strategy)
    for param in strategy.params:
        if _param_line(param, param.name in used):
            session.apply_text(doc, without_param(doc.text, strategy, param.name), f"Deleted `param {param.name}`",
                               lambda name=param.name: _stop_editing_deleted(name))
    st.caption("A parameter is a number, percent or duration with a default and the values it may take: "
               "`rbts sweep` tries them, `--set NAME=VALUE` picks one. A rule's inputs can use a parameter "
               "of their kind: lengths and values a number (a value also a percent), timeframes and "
               "windows a duration; the settings' sizing, limit offset, ttl and risks too.")
    editing = next((p for p in strategy.params if p.name == st.session_state.get(EDIT_PARAM)), None)
    _param_form(doc, strategy, editing)


def _param_line(param: ast.Param, used: bool) -> bool:
    """The param's line with its edit and delete buttons; True when delete was clicked."""
    text_col, edit_col, del_col = st.columns([10, 1, 1], vertical_alignment="center")
    note = "" if used else " <span class='rbts-muted'>(not used yet)</span>"
    text_col.markdown(f"<span class='rbts-rule'>{html.escape(format_param(param))}</span>{note}",
                      unsafe_allow_html=True)
    edit_col.button("", key=f"strategy.param.edit.{param.name}", icon=":material/edit:",
                    help=f"Change {param.name}", on_click=start_editing_param, args=(param.name,))
    return del_col.button("", key=f"strategy.param.del.{param.name}", icon=":material/delete:", disabled=used,
                          help=f"Delete {param.name}" + (" (used: replace its uses first)" if used else ""))


def _stop_editing_deleted(name: str) -> None:
    if st.session_state.get(EDIT_PARAM) == name:
        start_editing_param(None)


def _param_form(doc: Document, strategy: ast.Strategy, editing: ast.Param | None) -> None:
    form = param_form(editing) if editing else ParamForm()
    p = f"strategy.param.{session.gen_showing('param', form)}"
    st.markdown(f"**Change `param {editing.name}`**" if editing else "**Add a parameter**")
    c1, c2, c3 = st.columns(3)
    name = c1.text_input("name", form.name, placeholder="fast", key=f"{p}.name", disabled=editing is not None)
    kind = c2.selectbox("kind", KINDS, index=KINDS.index(form.kind), format_func=KIND_LABELS.get, key=f"{p}.kind")
    unit = " (%)" if kind == "percent" else ""
    ex_default, ex_low, ex_high, ex_step, ex_list = EXAMPLES[kind]
    default = c3.text_input(f"default{unit}", form.default, placeholder=ex_default, key=f"{p}.default")
    shape = st.radio("values it may take", list(SHAPE_LABELS), index=list(SHAPE_LABELS).index(form.shape),
                     format_func=SHAPE_LABELS.get, horizontal=True, key=f"{p}.shape")
    low = high = step = values = ""
    if shape == "range":
        c1, c2, c3 = st.columns(3)
        low = c1.text_input(f"from{unit}", form.low, placeholder=ex_low, key=f"{p}.low")
        high = c2.text_input(f"to{unit}", form.high, placeholder=ex_high, key=f"{p}.high")
        step = c3.text_input(f"step{unit}", form.step, placeholder=ex_step, key=f"{p}.step")
    else:
        values = st.text_input(f"values{unit}, comma separated", form.values, placeholder=ex_list, key=f"{p}.values")
    new = ParamForm(name, kind, default, shape, low, high, step, values)
    _param_buttons(doc, strategy, editing, new, p)


def _param_buttons(doc: Document, strategy: ast.Strategy, editing: ast.Param | None, form: ParamForm,
                   p: str) -> None:
    try:
        st.code(format_param(form.node()), language="python")
    except ValueError:
        pass  # incomplete while typing: the button says what is wrong
    c1, c2, _ = st.columns([3, 2, 4])
    if c1.button("Save parameter" if editing else "Add parameter", type="primary", key=f"{p}.add",
                 icon=":material/check:" if editing else ":material/add:"):
        try:
            param = form.node()
            text = (with_param if editing else add_param)(doc.text, strategy, param)
        except ValueError as exc:
            st.error(str(exc))
            return
        verb = "Changed" if editing else "Added"
        session.apply_text(doc, text, f"{verb} `param {param.name}`", lambda: start_editing_param(None))
    if editing:
        c2.button("Cancel", key=f"{p}.cancel", on_click=start_editing_param, args=(None,))
