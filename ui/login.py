"""The app's login: once `rbts ui set-password` has stored a password hash in the home, every
browser session must log in before anything renders (Start, Stop, Restart, Flatten, Apply
included); without a password the app is open, which `rbts ui` allows on localhost only.

A login lasts for the browser tab's session (a reload asks again); a wrong password
costs a second, on top of scrypt's own cost.
"""

from __future__ import annotations

import time

import streamlit as st

from rbts.dsl.errors import RbtsError
from rbts.runtime import auth

LOGGED_IN = "rbts_logged_in"
WRONG_PASSWORD_DELAY_S = 1.0


def gate(settings) -> bool:
    """True when this session may see the app; otherwise the login page is drawn instead."""
    try:
        record = auth.stored_password(settings.home)
    except RbtsError as exc:
        st.error(str(exc))  # a broken password file locks the app rather than opening it
        return False
    if record is None:
        return True
    if st.session_state.get(LOGGED_IN):
        if st.sidebar.button("Log out", key="rbts_logout", icon=":material/logout:"):
            st.session_state.pop(LOGGED_IN, None)
            st.rerun()
        return True
    _login_form(record)
    return False


def may_control(settings) -> bool:
    """The controls that change the bot check this too (not only the page gate)."""
    try:
        record = auth.stored_password(settings.home)
    except RbtsError:
        return False
    return record is None or bool(st.session_state.get(LOGGED_IN))


def _login_form(record: dict) -> None:
    _, middle, _ = st.columns([2, 3, 2])
    with middle:
        st.title("RBTS")
        st.caption("This app controls a trading bot. Log in to continue.")
        with st.form("rbts_login"):
            password = st.text_input("Password", type="password", key="rbts_login_password")
            submitted = st.form_submit_button("Log in", type="primary")
        if submitted:
            if auth.verify_password(password, record):
                st.session_state[LOGGED_IN] = True
                st.rerun()
            time.sleep(WRONG_PASSWORD_DELAY_S)
            st.error("Wrong password.")
