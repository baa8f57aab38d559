"""Per-browser-session state of the Strategy tab (one place for its keys)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from rbts.dsl.checker import diagnose
from rbts.dsl.errors import RbtsError
from rbts.dsl.load import read_text
from rbts.ui.document import Document, describe

DOC_KEY = "strategy.doc"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "vix_ema_cross.rbts"

BLANK = """strategy "My strategy"
universe: AAPL
"""


def example_text() -> str:
    try:
        return read_text(EXAMPLE)
    except RbtsError:  # the examples folder is not installed
        return BLANK


# The SPEC's reference strategy (examples/vix_ema_cross.rbts), shown on a first visit.
REFERENCE = example_text()


def document() -> Document:
    """The session's strategy document (the reference example on first visit)."""
    if DOC_KEY not in st.session_state:
        st.session_state[DOC_KEY] = Document.open(example_text())
    return st.session_state[DOC_KEY]


def bump(name: str) -> int:
    """Increment a counter used in widget keys, so those widgets start fresh."""
    key = f"strategy.gen.{name}"
    st.session_state[key] = st.session_state.get(key, 0) + 1
    return st.session_state[key]


def gen(name: str) -> int:
    return st.session_state.get(f"strategy.gen.{name}", 0)


def gen_showing(name: str, shown: object) -> int:
    """The widget generation of form ``name``, new whenever what it shows (``shown``) changed
    outside the form, e.g. in the code editor. Streamlit keeps a keyed widget's state when only
    its default changes, so the form would otherwise show, and write back, the old values."""
    key = f"strategy.shown.{name}"
    drawn = st.session_state.get(key)  # (generation, shown) when the form was last drawn
    if drawn is not None and drawn[0] == gen(name) and drawn[1] != shown:
        bump(name)  # (a generation bumped since, e.g. by Edit, already gives fresh widgets)
    st.session_state[key] = (gen(name), shown)
    return gen(name)


def flash(message: str, kind: str = "success") -> None:
    """A message shown once at the top of the tab on the next run."""
    st.session_state.setdefault("strategy.flash", []).append((kind, message))


def show_flashes() -> None:
    for kind, message in st.session_state.pop("strategy.flash", []):
        getattr(st, kind)(message)


def apply_text(doc: Document, text: str, message: str, on_success=None) -> None:
    """Put builder output into the document and rerun (the editor shows it).

    A change that would make the strategy invalid is refused and its errors shown."""
    _, diagnostics = diagnose(text)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        st.error("This change was not applied:\n\n" + "\n".join(f"- {describe(d)}" for d in errors))
        return
    doc.set_text(text, from_editor=False)
    flash(message)
    if on_success is not None:
        on_success()
    st.rerun()
