"""The tab's action bar: new/example, import, export, save/open versions, apply to the bot."""

from __future__ import annotations

import time

import streamlit as st

from rbts.dsl.errors import RbtsError
from rbts.runtime.settings import Settings
from rbts.ui import login, persistence, session
from rbts.ui.document import Document, describe

IMPORT_SEEN = "strategy.import.seen"
APPLY_RESULT = "strategy.apply.result"


def render_actions(doc: Document, settings: Settings) -> None:
    name = doc.valid.settings.name if doc.valid else "strategy"
    c_title, c_new, c_imp, c_exp, c_ver, c_apply = st.columns([4, 1.1, 1.1, 1.1, 1.3, 1.4],
                                                               vertical_alignment="center")
    status = "valid" if doc.is_valid else f"{len(doc.errors)} error(s)"
    c_title.markdown(f"### {name} <span class='rbts-muted'>· {status}</span>", unsafe_allow_html=True)
    with c_new.popover("New", icon=":material/note_add:", width="stretch"):
        _render_new(doc)
    with c_imp.popover("Import", icon=":material/upload:", width="stretch"):
        _render_import(doc)
    with c_exp.popover("Export", icon=":material/download:", width="stretch"):
        _render_export(doc)
    with c_ver.popover("Versions", icon=":material/history:", width="stretch"):
        _render_versions(doc, settings)
    with c_apply:
        _render_apply(doc, settings)
    _render_apply_result(settings)


def _replace_text(doc: Document, text: str, message: str) -> None:
    doc.set_text(text, from_editor=False)
    session.flash(message)
    st.rerun()


def _render_new(doc: Document) -> None:
    st.caption("Replaces the editor's text (export or save first to keep it).")
    if st.button("Blank strategy", key="strategy.new.blank"):
        _replace_text(doc, session.BLANK, "Started a blank strategy")
    if st.button("Reference example", key="strategy.new.example"):
        _replace_text(doc, session.example_text(), "Loaded the reference example")


def _render_import(doc: Document) -> None:
    g = session.gen("import")
    upload = st.file_uploader("A .rbts or .json strategy", type=["rbts", "json", "txt"], key=f"strategy.import.{g}")
    if upload is not None and st.session_state.get(IMPORT_SEEN) != upload.file_id:
        st.session_state[IMPORT_SEEN] = upload.file_id
        import_data(doc, upload.name, upload.getvalue())
    pasted = st.text_area("…or paste its text (.rbts or JSON)", key=f"strategy.paste.{g}", height=100)
    if st.button("Import pasted text", key=f"strategy.paste.go.{g}", disabled=not pasted.strip()):
        name = "pasted.json" if pasted.lstrip().startswith("{") else "pasted.rbts"
        import_data(doc, name, pasted.encode())


def import_data(doc: Document, name: str, data: bytes) -> None:
    """Replace the strategy with an imported one, or keep everything and show why not."""
    try:
        text = persistence.import_text(name, data)
    except RbtsError as exc:
        st.session_state["strategy.import.errors"] = (name, [describe(d) for d in exc.diagnostics])
        st.rerun()
    st.session_state.pop("strategy.import.errors", None)
    session.bump("import")
    _replace_text(doc, text, f"Imported {name}")


def render_import_errors() -> None:
    """Errors of the last rejected import (shown on the page: popovers close on rerun)."""
    found = st.session_state.get("strategy.import.errors")
    if not found:
        return
    name, lines = found
    st.error(f"**{name} was not imported** (nothing was replaced):\n\n" + "\n".join(f"- {x}" for x in lines),
             icon=":material/error:")
    if st.button("Dismiss", key="strategy.import.dismiss"):
        st.session_state.pop("strategy.import.errors", None)
        st.rerun()


def _render_export(doc: Document) -> None:
    if doc.valid is None:
        st.caption("Nothing valid to export yet.")
        return
    if not doc.is_valid:
        st.caption("The code has errors: this exports the last valid version.")
    st.download_button("Download .rbts", doc.valid_text, file_name=persistence.export_name(doc.valid, ".rbts"),
                       mime="text/plain", key="strategy.export.rbts", icon=":material/description:")
    st.download_button("Download JSON", persistence.export_json(doc.valid),
                       file_name=persistence.export_name(doc.valid, ".json"), mime="application/json",
                       key="strategy.export.json", icon=":material/data_object:")


def _render_versions(doc: Document, settings: Settings) -> None:
    if st.button("Save as a new version", key="strategy.save", disabled=not doc.is_valid,
                 icon=":material/save:", help="Stores the strategy in the registry (strategies/ in the home)."):
        version = persistence.save_version(settings, doc.valid, doc.text)
        session.flash(f"Saved {version.label}")
        st.rerun()
    try:
        found = persistence.versions(settings)
    except (OSError, ValueError) as exc:
        st.warning(f"The registry could not be read: {exc}")
        return
    if not found:
        st.caption("No saved versions yet.")
        return
    labels = {f"{v.label} · {time.strftime('%Y-%m-%d %H:%M', time.localtime(v.created))}": v for v in found}
    choice = st.selectbox("Saved versions", list(labels), key="strategy.versions.pick")
    if st.button("Open", key="strategy.versions.open", icon=":material/folder_open:"):
        version = labels[choice]
        try:
            text = persistence.version_text(version)
        except (OSError, RbtsError) as exc:
            st.error(f"{version.label} could not be opened: {exc}")
            return
        _replace_text(doc, text, f"Opened {version.label}")


def _render_apply(doc: Document, settings: Settings) -> None:
    if st.button("Apply to bot", type="primary", key="strategy.apply", disabled=not doc.is_valid,
                 icon=":material/rocket_launch:", width="stretch",
                 help="Check, save a registry version, make it the bot's active strategy, tell the bot to reload."):
        try:
            from rbts.runtime.live import control
        except ImportError:
            st.session_state[APPLY_RESULT] = ("error", "The live service is not installed.", False)
            st.rerun()
        if not login.may_control(settings):
            st.session_state[APPLY_RESULT] = ("error", "Log in to apply a strategy to the bot.", False)
            st.rerun()
        try:
            applied = control.apply_text(settings, doc.text, "editor.rbts")
        except RbtsError as exc:
            st.session_state[APPLY_RESULT] = ("error", f"Not applied: {exc.diagnostics[0].message}", False)
        else:
            st.session_state[APPLY_RESULT] = apply_message(applied)
        st.rerun()


def apply_message(applied) -> tuple[str, str, bool]:
    """(level, message, offer to start a replay bot) for an :class:`Applied`."""
    label = applied.version.label
    if not applied.sent_to_bot:
        return ("info", f"{label} is now the active strategy. No bot is running: start one to trade it.", True)
    if applied.bot_result is None:
        return ("warning", f"{label} is active; the bot has not confirmed the reload yet.", False)
    if applied.bot_result.startswith("failed"):  # refused or rolled back: the bot says what runs now
        return ("error", f"The bot did not apply {label}: {applied.bot_result.removeprefix('failed: ')}", False)
    return ("success", f"{label} applied: the bot reloaded it. {applied.bot_result}".strip(), False)


def _render_apply_result(settings: Settings) -> None:
    found = st.session_state.get(APPLY_RESULT)
    if not found:
        return
    level, message, offer_start = found
    getattr(st, level)(message)
    if offer_start:
        c1, c2, _ = st.columns([2, 1, 5])
        if c1.button("Start a replay bot", key="strategy.apply.start", icon=":material/play_arrow:",
                     help="Replays catalog bars through the live bot with simulated fills (no broker needed)."):
            from rbts.runtime.live import control

            try:
                if not login.may_control(settings):
                    raise RbtsError("log in to start the bot")
                pid = control.start(settings, mode="replay")
            except RbtsError as exc:
                st.session_state[APPLY_RESULT] = ("error", f"The bot did not start: {exc}", False)
            else:
                st.session_state[APPLY_RESULT] = ("success", f"Replay bot started (pid {pid}): see the Live tab.",
                                                  False)
            st.rerun()
        if c2.button("Dismiss", key="strategy.apply.dismiss"):
            st.session_state.pop(APPLY_RESULT, None)
            st.rerun()
