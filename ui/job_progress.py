"""A job running in a child process (a backtest, a sweep) as the Strategy tab shows it: while
it runs, a progress bar and a Cancel button, polled every second; once it has ended, its
error kept for the panel to show, or what it made handed to the panel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st


@st.fragment(run_every=1.0)
def render_job(key: str, progress: Callable[[Any], tuple[float, str]], *, cancel_key: str, error_key: str,
               on_success: Callable[[Any], None]) -> None:
    """The job in ``st.session_state[key]``: while it runs, ``progress(job)`` (fraction, text)
    as a bar beside Cancel; once it has ended, it leaves the session, its error goes to
    ``st.session_state[error_key]`` or ``on_success(job)`` takes it, and the app reruns."""
    job = st.session_state.get(key)
    if job is None:
        return
    job.poll()
    if not job.done:
        fraction, text = progress(job)
        c1, c2 = st.columns([6, 1])
        c1.progress(fraction, text=text)
        if c2.button("Cancel", key=cancel_key):
            job.cancel()
            st.rerun(scope="app")
        return
    del st.session_state[key]
    if job.error:
        st.session_state[error_key] = job.error
    else:
        st.session_state.pop(error_key, None)
        on_success(job)
    st.rerun(scope="app")
