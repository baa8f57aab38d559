"""The RBTS app (``rbts ui``): two tabs, Strategy and Live.

The home folder comes from ``RBTS_HOME`` (``rbts ui --home DIR`` sets it).
"""

from __future__ import annotations

import streamlit as st

from rbts.dsl.errors import RbtsError
from rbts.runtime.settings import load_settings
from rbts.ui import login, theme
from rbts.ui.strategy_tab import render_strategy_tab


def render_live(settings) -> None:
    try:
        from rbts.ui.live_tab import render_live_tab
    except ImportError:
        st.info("The live service is not available in this installation.")
        return
    render_live_tab(settings)


def main() -> None:
    st.set_page_config(page_title="RBTS", page_icon=":material/candlestick_chart:", layout="wide",
                       initial_sidebar_state="collapsed")  # the sidebar only holds "Log out"
    st.markdown(theme.CSS, unsafe_allow_html=True)
    try:
        settings = load_settings()
    except RbtsError as exc:
        st.error(f"Settings could not be read: {exc}")
        return
    if not login.gate(settings):
        return  # the login page: nothing else renders, no control reaches the bot
    strategy, live = st.tabs(["Strategy", "Live"])
    with strategy:
        render_strategy_tab(settings)
    with live:
        render_live(settings)


main()
