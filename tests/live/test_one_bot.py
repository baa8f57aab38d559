"""One bot per home (issue #16 defect 2), and runs that tell a crash from a stop (defect 4).

Two `rbts live --detach` started together used to run two bots on one store; `rbts stop`
stopped one and the other traded on as an orphan that `status` called "not running".  Now the
bot holds an operating-system lock on ``live/bot.lock`` for its lifetime: the loser exits 1
with a clear message, and `status`/`stop` find the bot by the lock.  After `kill -9`, status
used to say "last state: running" and `rbts restart` wiped the store; now it says the run died,
and every run's history stays (runs are numbered).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from livetest import rbts, stop_bot, store_of, use_toy_plugin, wait_for

from rbts.runtime.live import control
from rbts.runtime.settings import load_settings

V1 = {"toy": 1, "name": "toy", "universe": ["AAPL"], "every": 3, "qty": 5}


@pytest.fixture
def home(small_demo_home, tmp_path, monkeypatch):
    use_toy_plugin(monkeypatch)
    dest = tmp_path / "home"
    shutil.copytree(small_demo_home, dest)
    (tmp_path / "v1.json").write_text(json.dumps(V1))
    # `--detach` runs under the supervisor: a killed bot stays dead here for as long as a test looks
    with open(dest / "rbts.yaml", "a") as settings:
        settings.write("restart_delays_s: [600]\n")
    yield dest
    stop_bot(dest)
    for pid in bots_of(dest):  # never leave an orphan behind, whatever the outcome
        os.kill(pid, signal.SIGKILL)


def bots_of(home: Path) -> list[int]:
    """Pids of the bot processes (`rbts ... live`, not the `--detach` launchers) working on this home."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = [a.decode(errors="replace") for a in (proc / "cmdline").read_bytes().split(b"\0") if a]
            state = (proc / "stat").read_text().rsplit(") ", 1)[1][0]
        except (OSError, IndexError):
            continue
        if state != "Z" and "live" in args and str(home) in args and "--detach" not in args \
                and "rbts.runtime.live.supervisor" not in args:  # the bot, not its supervisor
            pids.append(int(proc.name))
    return pids


def launcher(home: Path) -> subprocess.Popen:
    """`rbts live V1 --detach` as its own process (two of them race for the home)."""
    argv = [sys.executable, "-m", "rbts.runtime.cli.app", "--home", str(home), "live",
            str(home.parent / "v1.json"), "--start", "2025-03-10", "--speed", "10000", "--detach"]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_two_bots_started_together_one_runs_the_other_exits_1(home):
    first, second = launcher(home), launcher(home)
    outcomes = sorted((p.wait(timeout=120), *p.communicate()) for p in (first, second))
    (ok_rc, ok_out, _), (lost_rc, _, lost_err) = outcomes
    assert (ok_rc, lost_rc) == (0, 1), outcomes
    assert "a bot is already running in this home (pid " in lost_err and "`rbts stop` first" in lost_err
    bots = bots_of(home)
    assert len(bots) == 1 and f"(pid {bots[0]})" in ok_out and f"(pid {bots[0]})" in lost_err
    status = rbts(home, "status")
    assert status.returncode == 0 and f"bot running (pid {bots[0]})" in status.stdout
    wait_for(home, lambda s: s.count("fills") >= 2, what="the bot trading")
    with store_of(home) as store:
        runs = store.runs()
    assert [r["run"] for r in runs] == [1]  # the loser never touched the store

    # a third start, in the foreground this time, is refused the same way
    third = rbts(home, "live", "--start", "2025-03-10")
    assert third.returncode == 1 and f"a bot is already running in this home (pid {bots[0]})" in third.stderr

    stopped = rbts(home, "stop")
    assert stopped.returncode == 0 and f"stopped (pid {bots[0]})" in stopped.stdout
    assert bots_of(home) == [] and rbts(home, "status").returncode == 3


@pytest.mark.slow
def test_status_tells_a_crash_from_a_stop_and_restart_keeps_every_run(home):
    settings = load_settings(home)
    assert control.bot_state(settings).state == "none"
    assert rbts(home, "live", str(home.parent / "v1.json"), "--start", "2025-03-10", "--speed", "10000",
                "--detach").returncode == 0
    first = control.bot_state(settings)
    assert (first.state, first.run) == ("running", 1) and first.pid in bots_of(home)
    wait_for(home, lambda s: s.count("fills") >= 4, what="run 1 trading")

    os.kill(first.pid, signal.SIGKILL)
    wait_for(home, lambda _s: control.bot_state(settings).state != "running", what="the lock released")
    died = control.bot_state(settings)
    assert (died.state, died.run, died.pid) == ("died", 1, first.pid)
    status = rbts(home, "status")
    assert status.returncode == 3 and "DIED" in status.stdout and "run 1" in status.stdout
    assert "last state: running" not in status.stdout
    with store_of(home) as store:
        run1_fills = store.fills(1000, run=1)
    assert len(run1_fills) >= 4

    restarted = rbts(home, "restart")
    assert restarted.returncode == 0, restarted.stderr
    second = control.bot_state(settings)
    assert (second.state, second.run) == ("running", 2) and second.pid != first.pid
    with store_of(home) as store:
        assert store.fills(1000, run=1) == run1_fills  # nothing of run 1 was wiped
        runs = {r["run"]: r for r in store.runs()}
        events = [(e["level"], e["message"]) for e in store.events(200, run=2)]
    assert runs[1]["end_state"] == "died" and runs[2]["end_state"] is None
    assert any(level == "WARNING" and "run 1 ended without a clean stop" in msg for level, msg in events)

    assert rbts(home, "stop").returncode == 0
    stopped = control.bot_state(settings)
    assert (stopped.state, stopped.run) == ("stopped", 2)
    status = rbts(home, "status")
    assert status.returncode == 3 and "stopped" in status.stdout and "DIED" not in status.stdout


def test_stop_kills_a_bot_that_ignores_sigterm_and_that_is_no_crash(tmp_path):
    """`rbts stop` escalates to SIGKILL after --timeout (a node stuck connecting, for instance); the
    run then counts as stopped by the user, not as died (a supervisor must not restart it)."""
    live = tmp_path / "live"
    code = ("import signal, sys, time; from rbts.runtime.live.lock import BotLock; from rbts.runtime.live.store "
            "import StateStore; signal.signal(signal.SIGTERM, signal.SIG_IGN); lock = BotLock.acquire(sys.argv[1]); "
            "store = StateStore(sys.argv[1] + '/state.db'); run = store.begin_run('replay', {}); "
            "lock.describe(run=run, mode='replay'); print('ready', flush=True); time.sleep(120)")
    stuck = subprocess.Popen([sys.executable, "-c", code, str(live)], stdout=subprocess.PIPE, text=True)
    assert stuck.stdout.readline().strip() == "ready"
    assert control.bot_state(load_settings(tmp_path)).pid == stuck.pid
    stopped = rbts(tmp_path, "stop", "--timeout", "1")
    assert stopped.returncode == 0 and stopped.stdout.startswith(f"killed (pid {stuck.pid}) after 1s")
    stuck.wait(timeout=10)
    state = control.bot_state(load_settings(tmp_path))
    assert (state.state, state.run) == ("stopped", 1) and "killed by `rbts stop`" in state.detail
    with store_of(tmp_path) as store:
        assert store.status()["node_status"] == "killed"
        assert "did not stop within 1s and was killed" in store.events(1)[0]["message"]


def test_a_bot_that_ends_with_an_error_has_died(tmp_path, monkeypatch):
    """A run that ended with an error (here: IB settings missing) is not a clean stop."""
    monkeypatch.delenv("RBTS_IB_ACCOUNT", raising=False)
    monkeypatch.delenv("TWS_ACCOUNT", raising=False)
    result = rbts(tmp_path, "live", "--mode", "ib")
    assert result.returncode == 1 and "IB account not set" in result.stderr
    state = control.bot_state(load_settings(tmp_path))
    assert (state.state, state.run) == ("died", 1) and "IB account not set" in state.detail


def test_waiting_for_the_lock_is_not_fooled_by_a_probe(tmp_path):
    """`status` probes the lock for an instant; a bot starting at that moment still gets it."""
    from rbts.runtime.live.lock import BotLock, holder

    live = tmp_path / "live"
    assert holder(live) is None
    probes = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom rbts.runtime.live.lock import holder\n"
                               "end = time.monotonic() + 2\nwhile time.monotonic() < end: holder(sys.argv[1])",
                               str(live)])
    try:
        time.sleep(0.5)
        with BotLock.acquire(live) as lock:
            lock.describe(run=7)
            assert holder(live) == {"pid": os.getpid(), "run": 7}
    finally:
        probes.wait(timeout=30)
    assert holder(live) is None


@pytest.mark.slow
def test_orders_cancelled_at_the_stop_are_stored_in_their_final_state(home):
    """Nautilus stops actors before strategies: the monitor's last write came before the strategy's
    on_stop cancelled its working orders, so those stayed ACCEPTED in the store after `rbts stop`. The
    monitor now writes once more when the node is disposed (after the strategies' stop and the post-stop
    wait): every order of the run is in a terminal state, the resting buy CANCELED."""
    from rbts.runtime.live.store import TERMINAL_ORDER_STATES

    assert rbts(home, "live", str(home.parent / "v1.json"), "--start", "2025-03-10", "--speed", "3000",
                "--detach").returncode == 0
    resting = wait_for(home, lambda s: [o["client_order_id"] for o in s.orders(working_only=True)
                                        if o["side"] == "BUY" and o["qty"] == 1], what="the resting buy (far away)")
    assert rbts(home, "stop").returncode == 0
    with store_of(home) as store:
        orders = {o["client_order_id"]: o["status"] for o in store.orders()}
        assert store.orders(working_only=True) == []
    assert {orders[c] for c in resting} == {"CANCELED"}
    assert set(orders.values()) <= TERMINAL_ORDER_STATES
