"""The Live tab: the bot's status, equity and PnL, charts (``live_charts.py``), positions, orders,
fills, rule states, log tail, and the Start / Stop / Restart / Flatten controls.  Reads the state
store; refreshes itself every few seconds inside a fragment (no full-page rerun, no flicker).

With no active strategy, "Start with <the Strategy tab's strategy>" applies it and starts the bot,
so a newcomer's first click does not end in safe mode.

The controls live outside the fragment (typing in them is never interrupted by a refresh),
so they are redrawn whenever the bot starts or stops: after a control's action, and when
the fragment sees the bot's running state differ from the one the controls were drawn for.
"""

from __future__ import annotations

import streamlit as st

from rbts.dsl.errors import RbtsError
from rbts.runtime.live import control
from rbts.runtime.live import status_view as live_view
from rbts.runtime.live.supervisor import supervisor_pid
from rbts.ui.live_charts import render_charts
from rbts.ui.session import document
from rbts.ui import login

REFRESH_S = 3


def render_live_tab(settings) -> None:
    _controls(settings)
    _monitor_fragment(settings)


def _controls(settings) -> None:
    if settings.state != "sqlite" and control.snapshot(settings).get("remote"):
        st.caption("Watching a bot on another machine through Redis (`state:` in rbts.yaml): "
                   "its controls are on that machine.")
        return
    state = control.bot_state(settings)
    running = state.running
    st.session_state["live_controls_running"] = running
    flash = st.session_state.pop("live_flash", None)
    if flash:
        st.toast(flash)
    offer = None if running else first_run_offer(settings)
    cols = st.columns([1, 1, 1, 2, 1, 1, 1], vertical_alignment="bottom")
    mode = cols[0].selectbox("Mode", ["replay", "ib"], key="live_mode", disabled=running)
    start = cols[1].text_input("Replay from", value="", key="live_start", placeholder="YYYY-MM-DD",
                               disabled=running or mode != "replay")
    speed = cols[2].number_input("Speed", min_value=1.0, max_value=10_000.0, value=float(settings.replay_speed),
                                 step=100.0, format="%.0f", key="live_speed", disabled=running or mode != "replay")
    if offer is not None and cols[3].button(
            f"Start with {offer.settings.name}", key="live_start_with_btn", type="primary",
            icon=":material/rocket_launch:", help="Apply the strategy of the Strategy tab, then start the bot"):
        _act(settings, lambda: start_with(settings, mode, start or None, speed))
    if cols[4].button("Start", key="live_start_btn", disabled=running, type="secondary" if offer else "primary"):
        _act(settings, lambda: f"started (pid {control.start(settings, mode, None, start or None, speed)})")
    waiting = not running and state.state == "died" and supervisor_pid(settings) is not None  # restarting soon
    if cols[5].button("Stop", key="live_stop_btn", disabled=not (running or waiting)):
        _act(settings, lambda: control.stop(settings))
    if cols[6].button("Restart", key="live_restart_btn", disabled=not (running or state.state == "died"),
                      help="Stop and start again, resuming: a replay continues from its last cycle with its "
                           "positions and cash; IB reconciles with the broker. Also after a crash."):
        _act(settings, lambda: f"restarted (pid {control.restart(settings)})")
    with st.expander("Flatten all positions", expanded=False):
        sure = st.checkbox("I want to cancel every order and close every position at market",
                           key="live_flatten_confirm")
        if st.button("Flatten all", key="live_flatten_btn", disabled=not (running and sure)):
            _act(settings, lambda: control.flatten(settings))


def first_run_offer(settings):
    """The Strategy tab's (last valid) strategy when the bot has no active strategy, else None."""
    if control.registry(settings).active() is not None:
        return None
    return document().valid


def start_with(settings, mode: str, start: str | None, speed: float) -> str:
    """Apply the Strategy tab's strategy, then start the bot on it."""
    doc = document()
    applied = control.apply_text(settings, doc.valid_text, "strategy-tab.rbts", notify=False)
    pid = control.start(settings, mode, None, start, speed)
    return f"{applied.version.label} applied; bot started (pid {pid})"


def _act(settings, action) -> None:
    if not login.may_control(settings):
        st.error("Log in to control the bot.")
        return
    try:
        st.session_state["live_flash"] = action()
    except RbtsError as exc:
        st.error(str(exc))
        return
    st.rerun()  # redraw the controls for the bot's new state


@st.fragment(run_every=REFRESH_S)
def _monitor_fragment(settings) -> None:
    with st.container(key="live_monitor"):  # theme.CSS: no dimming while it refreshes
        _monitor(settings)


def _monitor(settings) -> None:
    snap = control.snapshot(settings)
    if bool(snap["running"]) != st.session_state.get("live_controls_running", bool(snap["running"])):
        st.rerun(scope="app")  # the bot started or stopped elsewhere (CLI, crash): redraw the controls
    _banner(snap)
    cols = st.columns(5)
    for col, (label, value) in zip(cols, live_view.metrics(snap), strict=True):
        col.metric(label, value)
    render_charts(settings, snap)
    left, right = st.columns(2)
    left.subheader("Positions")
    left.dataframe(live_view.positions_table(snap), hide_index=True, key="live_positions")
    right.subheader("Working orders")
    right.dataframe(live_view.orders_table(snap), hide_index=True, key="live_orders")
    st.subheader("Rules per ticker")
    st.dataframe(live_view.rules_table(snap), hide_index=True, key="live_rules")
    left, right = st.columns(2)
    left.subheader("Recent fills")
    left.dataframe(live_view.fills_table(snap), hide_index=True, key="live_fills",
                   column_config={"time": st.column_config.TextColumn(width="medium")})
    right.subheader("Log")
    right.code("\n".join(live_view.events_lines(snap)) or "(no events)", language=None)


def _banner(snap) -> None:
    text = live_view.banner(snap)
    error = (snap.get("status") or {}).get("last_error")
    kind = live_view.health(snap)
    {"ok": st.success, "idle": st.info, "warning": st.warning, "error": st.error}[kind](text)
    if error:
        st.caption(f"last error: {error}")
    note = live_view.staleness_note(snap)
    if note:
        st.caption(note)
