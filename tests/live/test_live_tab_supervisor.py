"""The Live tab's controls after a crash (Streamlit AppTest): Restart is offered; Stop is offered only
while a supervisor waits to restart the dead bot (it stops the supervisor, so nothing restarts)."""

from __future__ import annotations

import json
import os

from test_live_tab import _app

from rbts.runtime.live.store import StateStore


def _died(home) -> None:
    (home / "live").mkdir(parents=True)
    with StateStore(home / "live" / "state.db") as store:
        store.begin_run("replay", {"mode": "replay"}, pid=999_999)  # never ended: the process died


def test_after_a_crash_restart_is_offered_and_stop_is_not(tmp_path):
    home = tmp_path / "home"
    _died(home)
    at = _app(home).run()
    assert not at.exception
    assert not at.button(key="live_restart_btn").disabled
    assert at.button(key="live_stop_btn").disabled


def test_stop_is_offered_while_a_supervisor_waits_to_restart(tmp_path):
    home = tmp_path / "home"
    _died(home)
    # a live process stands for the supervisor in its back-off (this test's own: nothing is signalled)
    (home / "live" / "supervisor.pid").write_text(json.dumps({"pid": os.getpid(), "started": 0}))
    at = _app(home).run()
    assert not at.exception
    assert not at.button(key="live_stop_btn").disabled and not at.button(key="live_restart_btn").disabled
