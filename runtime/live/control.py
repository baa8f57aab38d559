"""What the CLI and the UI call to control the bot: apply, start, stop, restart, flatten, status.

The bot is a separate process (``rbts live``) holding the home's lock
(:mod:`rbts.runtime.live.lock`) for its lifetime; whether it runs, and its pid and
run number, come from that lock, how earlier runs ended from the store's ``runs``
(:func:`bot_state`).  Commands reach the bot through the state store's ``commands``
table, and stop through SIGTERM (then SIGKILL if it does not end in time, e.g. stuck
while connecting).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rbts.dsl.errors import RbtsError
from rbts.runtime.live import program
from rbts.runtime.live import lock
from rbts.runtime.live.reasons import reason_of
from rbts.runtime.live.registry import Registry, Version
from rbts.runtime.live.store import END_DIED, END_KILLED, END_STOPPED, StateStore, default_path
from rbts.runtime.settings import Settings

STALE_AFTER_S = 10.0  # a running bot's heartbeat is at most this old


@dataclass(frozen=True)
class Applied:
    version: Version
    sent_to_bot: bool
    bot_result: str | None = None


def registry(settings: Settings) -> Registry:
    return Registry(settings.strategies_dir, settings.live_dir)


def store(settings: Settings) -> StateStore:
    return StateStore(default_path(settings.live_dir))


APPLY_WAIT_S = 60.0  # the bot checks a new version's instruments and history first (IB: paced requests)


def apply_text(settings: Settings, text: str, filename: str | None = None, *, notify: bool = True,
               wait_s: float = APPLY_WAIT_S, overrides: Mapping[str, str] | None = None) -> Applied:
    """Check, store a new registry version, make it active, tell the running bot and wait for its answer.

    ``overrides`` (``--set``) become the params' defaults in the text that is stored and made
    active, so the bot -- and any restart of it -- runs those values.
    An invalid strategy (or override) raises :class:`RbtsError` and changes nothing (the error is
    also recorded in the state store: an event and ``status.last_error``, so the UI shows it).
    The bot itself may still refuse the version (a symbol it cannot trade, no history): then
    ``bot_result`` starts with ``failed:`` and the bot runs what it ran before.
    """
    try:
        if overrides:
            from rbts.dsl.params import with_defaults

            text = with_defaults(text, overrides, filename)
        spec = program.plugin().load_text(text, filename)
    except RbtsError as exc:
        _record(settings, f"apply rejected ({filename or 'strategy'}): {reason_of(exc)}")
        raise
    reg = registry(settings)
    version = reg.save(spec.name, spec.json_text, spec.source_text, filename)
    reg.activate(version)
    if not (notify and bot_pid(settings)):
        return Applied(version, False)
    with store(settings) as st:
        command = st.send_command("reload", sha256=version.sha256)
        result = wait_command(st, command, wait_s)
    return Applied(version, True, result)


def apply_file(settings: Settings, path: str | Path, **kwargs) -> Applied:
    """Read the file by the front door's rule (rbts.dsl.load.read_text: UTF-8, a BOM ignored; a bad byte
    is an error at its FILE:LINE:COL, as `rbts compile` says it), then :func:`apply_text`."""
    from rbts.dsl.load import read_text

    try:
        text = read_text(Path(path))
    except RbtsError as exc:
        _record(settings, f"apply rejected: {reason_of(exc)}")
        raise
    return apply_text(settings, text, str(path), **kwargs)


def wait_command(st: StateStore, command_id: int, timeout_s: float) -> str | None:
    """The command's result once the bot has run it (None if it did not in time)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        row = st.command(command_id)
        if row and row["state"] in ("done", "failed"):
            return ("" if row["state"] == "done" else "failed: ") + (row["result"] or "")
        time.sleep(0.1)
    return None


def _record(settings: Settings, message: str) -> None:
    """A refused apply, for `rbts status` and the Live tab: an ERROR event and ``status.last_error``."""
    with store(settings) as st:
        st.log_event(message, level="ERROR", kind="apply")
        st.set_status(last_error=message)


# ------------------------------------------------------------------- process
@dataclass(frozen=True)
class BotState:
    """Whether the home's bot runs, and if not, how its last run ended.

    state: ``running`` (a process holds the home's lock), ``stopped`` (the last run ended
    cleanly: SIGTERM, `rbts stop` — also when `rbts stop` had to kill it), ``died`` (the last
    run's process ended without a clean stop: killed by a signal, crashed, or failed with an
    error; ``detail`` says which), or ``none`` (no bot ever ran in this home).
    """

    state: str
    run: int | None = None  # the current run, or the last one
    pid: int | None = None
    mode: str | None = None
    started: float | None = None
    ended: float | None = None  # None for a run whose process died without saying
    detail: str | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"


def bot_state(settings: Settings) -> BotState:
    """The bot's state for a supervisor, `rbts status` and the Live tab (lock first, then the runs)."""
    held = lock.holder(settings.live_dir)
    last = _last_run(settings)
    if held is not None:
        run = held.get("run")
        started = held.get("started") or (last or {}).get("started")
        return BotState("running", run, held.get("pid"), held.get("mode"), started)
    if last is None:
        return BotState("none")
    end = last["end_state"]
    state = "stopped" if end in (END_STOPPED, END_KILLED) else "died"
    detail = last["end_detail"] or (
        "the process ended without a clean stop (killed or crashed)" if end in (None, END_DIED) else None)
    return BotState(state, last["run"], last["pid"], last["mode"], last["started"], last["ended"], detail)


def _last_run(settings: Settings) -> dict[str, Any] | None:
    path = default_path(settings.live_dir)
    if not path.exists():
        return None
    with StateStore(path) as st:
        runs = st.runs()
    return runs[-1] if runs else None


def bot_pid(settings: Settings) -> int | None:
    """The running bot's pid, or None."""
    state = bot_state(settings)
    return state.pid if state.running else None


def start(settings: Settings, mode: str = "replay", file: str | None = None, start_at: str | None = None,
          speed: float | None = None, end: str | None = None, wait_s: float = 30.0, *, resume: bool = False,
          overrides: Mapping[str, str] | None = None) -> int:
    """Spawn ``rbts live`` detached under its supervisor (rbts.runtime.live.supervisor, which
    restarts it after a death); returns the bot's pid once it holds the home's lock and has its run.
    ``resume``: continue from the previous run's last persisted cycle (see rbts.runtime.live.resume)."""
    from rbts.runtime.live.supervisor import supervisor_pid

    held = lock.holder(settings.live_dir)
    if held is not None:
        raise RbtsError(lock.already_running(held))
    waiting = supervisor_pid(settings)
    if waiting:  # a supervisor waiting to restart a dead bot: this start replaces that restart
        os.kill(waiting, signal.SIGTERM)
        _wait_pid_gone(waiting, 10.0)
    argv = [sys.executable, "-m", "rbts.runtime.live.supervisor", "--home", str(settings.home), "--", "live"]
    if file:
        argv.append(str(Path(file).resolve()))
    argv += ["--mode", mode]
    if start_at:
        argv += ["--start", str(start_at)]
    if end:
        argv += ["--end", str(end)]
    if speed:
        argv += ["--speed", str(speed)]
    if resume:
        argv.append("--resume")
    for name, value in (overrides or {}).items():
        argv += ["--set", f"{name}={value}"]
    settings.live_dir.mkdir(parents=True, exist_ok=True)
    log = settings.live_dir / "bot.out"
    with open(log, "ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        held = lock.holder(settings.live_dir)
        if proc.poll() is not None:
            if held is not None and _parent(held.get("pid")) != proc.pid:  # another bot won the race for the home
                raise RbtsError(lock.already_running(held))
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            raise RbtsError("the bot exited at start-up: " + " | ".join(tail))
        if held and held.get("run") and _parent(held.get("pid")) == proc.pid:
            return held["pid"]
        time.sleep(0.1)
    return proc.pid


def _parent(pid: int | None) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def stop(settings: Settings, timeout_s: float = 20.0) -> str:
    """SIGTERM the bot's supervisor (so nothing restarts it) and the bot that holds the home's lock,
    wait, then SIGKILL; returns what happened."""
    from rbts.runtime.live import supervisor

    guard = supervisor.supervisor_pid(settings)
    if guard:
        os.kill(guard, signal.SIGTERM)  # it stops the bot cleanly too, and restarts nothing
    state = bot_state(settings)
    if (not state.running or not state.pid) and guard:
        _wait_pid_gone(guard, timeout_s)
        return f"stopped the supervisor (pid {guard}); no bot was running"
    if not state.running or not state.pid:
        raise RbtsError("no bot is running")
    pid = state.pid
    if not guard:  # else the supervisor forwards it (twice could cut the bot's clean stop short)
        os.kill(pid, signal.SIGTERM)
    if _wait_gone(settings, pid, timeout_s) or not _kill(pid):  # not _kill: it ended just after the wait
        _wait_gone(settings, pid, 5.0)
        if guard:
            _wait_pid_gone(guard, timeout_s)  # it sends the "stopped" alerts before it ends
        return f"stopped (pid {pid})"
    _wait_gone(settings, pid, 5.0)
    with store(settings) as st:
        st.set_status(node_status="killed", connected=False)
        st.log_event(f"the bot did not stop within {timeout_s:.0f}s and was killed", level="ERROR", kind="control")
        if state.run is not None:
            st.end_run(state.run, END_KILLED, f"did not stop within {timeout_s:.0f}s; killed by `rbts stop`")
    return f"killed (pid {pid}) after {timeout_s:.0f}s"


def _kill(pid: int) -> bool:
    """SIGKILL; False when the process was already gone."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def _wait_gone(settings: Settings, pid: int, timeout_s: float) -> bool:
    """Wait until the home's lock is free and the process has ended."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child (started from this process)
        except ChildProcessError:
            pass
        if lock.holder(settings.live_dir) is None and not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def _wait_pid_gone(pid: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while _alive(pid) and time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return not Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True


def restart(settings: Settings, timeout_s: float = 20.0) -> int:
    """Stop the bot (if it runs) and start it again with the same mode and replay options, on the
    active strategy, resuming: a replay continues from the last persisted cycle with its positions
    and cash, IB reconciles with the broker.  After a crash this starts the dead run's successor."""
    state = bot_state(settings)
    last = _last_run(settings) or {}
    options = last.get("options") or {}
    from rbts.runtime.live.supervisor import supervisor_pid

    if state.running or supervisor_pid(settings):  # also a supervisor waiting to restart a dead bot
        stop(settings, timeout_s)
    return start(settings, options.get("mode") or last.get("mode") or "replay", None, options.get("start"),
                 options.get("speed"), options.get("end"), resume=True)


def flatten(settings: Settings, wait_s: float = 15.0) -> str:
    if not bot_pid(settings):
        raise RbtsError("no bot is running")
    with store(settings) as st:
        command = st.send_command("flatten")
        result = wait_command(st, command, wait_s)
    if result is None:
        raise RbtsError(f"the bot did not confirm the flatten within {wait_s:.0f}s (it will still run it)")
    return result


def snapshot(settings: Settings, run: int | None = None) -> dict[str, Any]:
    """Everything `rbts status` and the Live tab show, read from the state store: the current run,
    or an earlier one (``run``).  With ``state: redis://`` the bot's view published there is read:
    then a bot on another machine is watched, never controlled."""
    from rbts.runtime.live import redis_state

    target = redis_state.parse_state(settings.state)
    if target is not None and run is None:
        return _remote_snapshot(settings, target)
    state = bot_state(settings)
    out: dict[str, Any] = {"running": state.running, "pid": state.pid if state.running else None,
                           "bot": asdict(state), "run": run or state.run}
    path = default_path(settings.live_dir)
    if not path.exists():
        return {**out, "status": {}, "positions": [], "orders": [], "fills": [], "events": [], "cycle": {},
                "equity": [], "runs": []}
    with StateStore(path) as st:
        runs = st.runs()
        current = run is None or run == st.current_run()
        status = st.status() if current else next((r["last_status"] or {} for r in runs if r["run"] == run), {})
        out.update(status=status, positions=st.positions() if current else [],
                   orders=st.orders(working_only=True, run=run), fills=st.fills(50, run=run),
                   events=st.events(50, run=run), cycle=st.latest_cycle(run=run), equity=st.equity(2000, run=run),
                   runs=[{k: r[k] for k in ("run", "mode", "started", "ended", "end_state")} for r in runs])
    heartbeat = status.get("heartbeat")
    out["stale"] = bool(state.running and current and heartbeat and time.time() - heartbeat > STALE_AFTER_S)
    return out


def _remote_snapshot(settings: Settings, target) -> dict[str, Any]:
    from rbts.runtime.live import redis_state
    from rbts.runtime.live.node import TRADER_ID

    local = bot_pid(settings)
    view = redis_state.read_snapshot(target, TRADER_ID) or {
        "status": {}, "positions": [], "orders": [], "fills": [], "events": [], "cycle": {}, "equity": []}
    status = view["status"]
    fresh = bool(status.get("heartbeat")) and time.time() - status["heartbeat"] <= STALE_AFTER_S
    alive = status.get("node_status") not in (None, "stopped", "killed")
    running = bool(local) or (alive and fresh)
    stale = bool(alive and not fresh and status.get("heartbeat"))
    remote = None if local or not redis_state.published_elsewhere(view) else target.label
    return {**view, "running": running, "pid": local or status.get("pid"), "stale": stale, "remote": remote}
