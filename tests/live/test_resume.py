"""A bot restarted after a crash resumes (issue #16 defect 4).

Replay: after `kill -9`, `rbts restart` used to wipe the store and rewind the replay to its start
with fresh cash.  Now run 2 continues from run 1's last persisted cycle: the instant after it,
with its cash and its positions (opened by Nautilus' reconciliation, owned by the strategy, which
goes on to exit them), and an event says so.  A fresh `rbts live` after a crash says that it
starts fresh.  (IB mode: tests/live/test_ib_mode.py, positions open at the broker across a crash.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from livetest import rbts, start_replay, store_of, wait_for

from rbts.runtime.live import control
from rbts.runtime.live.supervisor import supervisor_pid
from rbts.runtime.settings import load_settings

STRATEGY = """strategy "resumer"
universe: AAPL, MSFT, NVDA
capital: 10000
cycle: 5m
order: market
let fast = ema(close, 3, 5m)
let slow = ema(close, 8, 5m)
entry up: fast crosses_above slow
exit down: fast crosses_below slow
"""


@pytest.fixture
def home(replay_home):
    (replay_home.parent / "resumer.rbts").write_text(STRATEGY)
    return replay_home


def crash_while_holding(home) -> dict:
    """Run 1 until it holds a position at a persisted cycle, then kill -9 it; its last cycle record."""
    settings = load_settings(home)
    start_replay(home, home.parent / "resumer.rbts", speed=2000)
    wait_for(home, lambda s: s.count("fills") >= 3 and (s.equity(1) or [{}])[0].get("positions"),
             timeout=120, what="run 1 holding a position")
    os.kill(control.bot_state(settings).pid, signal.SIGKILL)
    wait_for(home, lambda _s: control.bot_state(settings).state == "died", what="run 1 dead")
    with store_of(home) as store:
        return store.equity(1, run=1)[0]


@pytest.mark.slow
def test_a_replay_restarted_after_a_crash_resumes_its_last_cycle_with_positions_and_cash(home):
    last = crash_while_holding(home)
    held = last["positions"]
    assert held
    restarted = rbts(home, "restart")
    assert restarted.returncode == 0, restarted.stderr
    first = wait_for(home, lambda s: s.equity(1, run=2), timeout=120, what="run 2's first cycle")[0]
    with store_of(home) as store:
        status = store.status()
        events = [e["message"] for e in store.events(50, run=2) if e["kind"] == "run"]
        fills2 = list(reversed(store.fills(1000, run=2)))
    assert status["run"] == 2 and status["resumed_from"] == 1
    assert any("run 2 resumes run 1 from its last persisted cycle" in m for m in events), events
    # no rewind: run 2 goes on from the instant after run 1's last persisted cycle
    assert first["ts"] > last["ts"] and first["ts"] - last["ts"] <= 24 * 3600 * 10**9
    # the positions carried over, owned by the strategy (the fills in between are run 2's own)
    carried = dict(held)
    for fill in fills2:
        if fill["ts"] <= first["ts"]:
            sign = 1 if fill["side"] == "BUY" else -1
            carried.setdefault(fill["symbol"], {"qty": 0.0, "avg_px": fill["price"]})
            carried[fill["symbol"]] = {**carried[fill["symbol"]], "qty": carried[fill["symbol"]]["qty"]
                                       + sign * fill["qty"]}
    expected = {s: p for s, p in carried.items() if p["qty"]}
    assert {s: p["qty"] for s, p in first["positions"].items()} == {s: p["qty"] for s, p in expected.items()}
    for symbol, position in held.items():
        if symbol in first["positions"]:
            assert first["positions"][symbol]["avg_px"] == pytest.approx(position["avg_px"])
    # cash: run 1's cash at its last cycle plus what run 2 sold minus what it bought
    flows = sum((1 if f["side"] == "SELL" else -1) * f["qty"] * f["price"] for f in fills2 if f["ts"] <= first["ts"])
    assert first["cash"] == pytest.approx(last["cash"] + flows, abs=1e-6)
    # the strategy manages the carried positions: it exits one of them later
    wait_for(home, lambda s: any(f["side"] == "SELL" and f["symbol"] in held for f in s.fills(1000, run=2)),
             timeout=120, what="a carried position exited by run 2")


@pytest.mark.slow
def test_a_fresh_start_after_a_crash_says_so(home):
    settings = load_settings(home)
    crash_while_holding(home)
    waiting = supervisor_pid(settings)  # run 1's supervisor, waiting to restart it (5 s back-off)
    assert waiting
    start_replay(home, speed=2000)  # a plain `rbts live`, not a resume
    # the new start replaces the pending restart: run 1's supervisor is gone, so stopping run 2 stops
    # everything (it outlived the stop and resumed run 1 afterwards, a bot nobody had started)
    assert not control._alive(waiting)
    status = wait_for(home, lambda s: s.status() if s.status().get("run") == 2 else None, what="run 2")
    with store_of(home) as store:
        events = [(e["level"], e["message"]) for e in store.events(50, run=2) if e["kind"] == "run"]
    assert status["resumed_from"] is None
    assert ("WARNING", "run 2 starts a fresh replay from 2025-03-10: run 1's positions and cash are not carried "
                       "over (`rbts restart` resumes a run)") in events
    assert any(level == "WARNING" and "run 1 ended without a clean stop" in m for level, m in events)
    assert rbts(home, "stop").returncode == 0
    time.sleep(settings.restart_delays_s[0] + 3)
    assert control.bot_state(settings).state != "running" and supervisor_pid(settings) is None


@pytest.mark.slow
def test_a_bot_run_in_the_foreground_meanwhile_is_not_followed_by_a_restart(home):
    """The dead run's supervisor waits out its back-off; a bot started meanwhile in the foreground (no
    supervisor of its own to replace) runs and stops.  The old supervisor must not resume the dead run then."""
    (home / "rbts.yaml").write_text("restart_delays_s: [20]\n")
    settings = load_settings(home)
    crash_while_holding(home)
    waiting = supervisor_pid(settings)
    assert waiting
    bot = subprocess.Popen([sys.executable, "-m", "rbts.runtime.cli.app", "--home", str(home), "live",
                            "--start", "2025-03-10", "--speed", "2000"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        wait_for(home, lambda s: s.status() if s.status().get("run") == 2 else None, what="run 2")
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.wait(60)
    deadline = time.monotonic() + 40
    while control._alive(waiting) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not control._alive(waiting)  # its back-off ended and it restarted nothing
    assert control.bot_state(settings).state != "running"
    with store_of(home) as store:
        assert [r["run"] for r in store.runs()] == [1, 2]

