"""`rbts live --detach` runs the bot under a supervisor (runtime/live/supervisor.py), tested with a
real replay bot: a bot killed with `kill -9` is restarted after the back-off as a new run, with a
`died` event and alert; `rbts stop` is never mistaken for a crash (a `stopped` alert, no restart);
after `max_crashes` deaths in the window the supervisor gives up loudly (CRITICAL, no restart);
a bot that fails at its first start is reported by `rbts live --detach` at once, not retried."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest
from catalogs import minute_bars, write_bars
from livetest import rbts, stop_bot, store_of, wait_for
from support.http_sink import HttpSink
from test_daily_loss_breaker import CRASH

from rbts.runtime.live import control
from rbts.runtime.live.supervisor import supervisor_pid
from rbts.runtime.settings import load_settings


@pytest.fixture
def sink():
    with HttpSink() as sink:
        yield sink


def _home(tmp_path, sink, max_crashes: int):
    home = tmp_path / "home"
    write_bars(home, "AAPL", minute_bars("2025-03-10", [100.0] * 10),
               minute_bars("2025-03-11", [100.0] * 5 + list(np.linspace(99, 90, 10)) + list(np.linspace(91, 100, 15))))
    (home / "rbts.yaml").write_text(f"restart_delays_s: [0.5]\nmax_crashes: {max_crashes}\ncrash_window_s: 600\n"
                                    f"alerts:\n  - url: {sink.url()}\n    events: [died, stopped]\n")
    (tmp_path / "crash.rbts").write_text(CRASH)
    return home


@pytest.fixture
def home(tmp_path, sink, monkeypatch):
    monkeypatch.delenv("RBTS_ALERTS", raising=False)
    home = _home(tmp_path, sink, max_crashes=3)
    yield home
    stop_bot(home)


def _running(home, run: int) -> int:
    """The pid of the bot once run ``run`` is running."""
    state = wait_for(home, lambda _s: (lambda b: b if b.running and b.run == run else None)(
        control.bot_state(load_settings(home))), what=f"run {run} running")
    return state.pid


def _kill(home, run: int) -> None:
    os.kill(_running(home, run), signal.SIGKILL)


@pytest.mark.slow
def test_a_killed_bot_is_restarted_and_a_stop_is_not_a_crash(home, tmp_path, sink):
    assert rbts(home, "live", str(tmp_path / "crash.rbts"), "--start", "2025-03-11", "--speed", "10000",
                "--detach").returncode == 0
    guard = supervisor_pid(load_settings(home))
    assert guard
    _kill(home, 1)
    second = _running(home, 2)  # restarted after the back-off, as a new run
    with store_of(home) as store:
        [died] = [e for e in store.events(run=2) + store.events(run=1) if e["kind"] == "died"]
    wait_for(home, lambda s: s.status().get("strategy_version") == "crash v1", what="the active strategy again")
    assert died["level"] == "ERROR"
    assert died["message"].startswith("bot died: run 1 (the process ended without a clean stop")
    assert "restarting in 0.5 s (death 1 of at most 3 within 10 min)" in died["message"]
    sink.wait_for(lambda s: any(b["title"].startswith("RBTS died: bot died: run 1") for b in s.delivered()),
                  what="the died alert")

    stopped = rbts(home, "stop")
    assert stopped.returncode == 0 and stopped.stdout.startswith(f"stopped (pid {second})")
    assert supervisor_pid(load_settings(home)) is None
    state = control.bot_state(load_settings(home))
    assert (state.state, state.run) == ("stopped", 2)
    sink.wait_for(lambda s: any(b["title"] == "RBTS stopped: bot stopped (run 2, replay mode)" for b in s.delivered()),
                  what="the stopped alert")
    time.sleep(1.5)  # longer than the restart delay: nothing restarts a stopped bot
    assert control.bot_state(load_settings(home)).run == 2


@pytest.mark.slow
def test_the_supervisor_gives_up_after_max_crashes(tmp_path, sink, monkeypatch):
    monkeypatch.delenv("RBTS_ALERTS", raising=False)
    home = _home(tmp_path, sink, max_crashes=2)
    try:
        assert rbts(home, "live", str(tmp_path / "crash.rbts"), "--start", "2025-03-11", "--speed", "10000",
                    "--detach").returncode == 0
        _kill(home, 1)
        _kill(home, 2)
        wait_for(home, lambda _s: supervisor_pid(load_settings(home)) is None, what="the supervisor to give up")
        with store_of(home) as store:
            died = [e for e in store.events(run=2) if e["kind"] == "died"]
        assert [e["level"] for e in died] == ["CRITICAL"]
        assert "2 deaths within 10 min: the supervisor gives up and does not restart it" in died[0]["message"]
        assert control.bot_state(load_settings(home)).state == "died"
        alert = sink.wait_for(lambda s: [b for b in s.delivered() if "gives up" in b["message"]], what="the alert")
        assert alert[0]["type"] == "failure"
    finally:
        stop_bot(home)


def test_a_start_up_error_is_reported_once_not_retried(tmp_path, monkeypatch):
    monkeypatch.setenv("RBTS_ALERTS", "")
    home = tmp_path / "home"
    home.mkdir()  # no catalog: replay cannot start
    started = rbts(home, "live", "--mode", "replay", "--detach")
    if started.returncode == 0:  # it began its run before failing: the supervisor reports it and ends
        wait_for(home, lambda _s: supervisor_pid(load_settings(home)) is None, what="the supervisor to end")
        with store_of(home) as store:
            [died] = [e for e in store.events() if e["kind"] == "died"]
        assert died["level"] == "CRITICAL" and "bot failed at start-up: run 1" in died["message"]
        assert "no bar catalog" in died["message"] and "not restarted" in died["message"]
    else:
        assert "the bot exited at start-up" in started.stderr
    state = control.bot_state(load_settings(home))
    assert (state.state, state.run) == ("died", 1)  # one run only: never retried
