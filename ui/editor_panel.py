"""The code editor (streamlit-ace) with every parse/check error as an annotation."""

from __future__ import annotations

import streamlit as st
from streamlit_ace import st_ace

from rbts.ui.document import Document, annotations, describe


def render_editor(doc: Document) -> None:
    st.markdown("#### Code")
    st.caption("The whole strategy as text. Press **Ctrl+Enter** (or the APPLY button under the editor) to apply "
               "your edits; errors then show in the gutter and below.")
    edited = st_ace(
        value=doc.text,
        language="python",  # close enough: `#` comments, strings, numbers, and/or/not/for/in
        theme="tomorrow_night",
        keybinding="vscode",
        font_size=13,
        tab_size=2,
        min_lines=18,
        max_lines=40,
        show_gutter=True,
        wrap=True,
        annotations=annotations(doc.diagnostics),
        auto_update=False,
        key=f"strategy.ace.{doc.editor_version}",
    )
    if isinstance(edited, str) and edited != doc.text:
        doc.set_text(edited, from_editor=True)
        st.rerun()
    render_diagnostics(doc)


def render_diagnostics(doc: Document) -> None:
    errors = doc.errors
    warnings = [d for d in doc.diagnostics if d.severity == "warning"]
    if errors:
        lines = "\n".join(f"- {describe(d)}" for d in errors)
        note = ("The builder, the rule charts and backtests keep using the last valid version."
                if doc.valid is not None else "There is no valid version yet.")
        st.error(f"**{len(errors)} error{'s' if len(errors) > 1 else ''}** — {note}\n\n{lines}",
                 icon=":material/error:")
        if doc.valid is not None and st.button("Revert to the last valid version", key="strategy.revert"):
            doc.revert()
            st.rerun()
    else:
        st.success("Valid strategy", icon=":material/check_circle:")
    if warnings:
        st.warning("\n".join(f"- {describe(d)}" for d in warnings), icon=":material/warning:")
