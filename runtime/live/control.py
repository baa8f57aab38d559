"""What the CLI and the UI call to control the bot: apply, start, stop, restart, flatten, status.

The bot is a separate process (``rbts live``) that writes ``live/bot.pid``;
commands reach it through the state store's ``commands`` table, and stop
through SIGTERM (then SIGKILL if it does not end in time, e.g. stuck while
connecting).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rbts.dsl.errors import RbtsError
from rbts.runtime.live import program
from rbts.runtime.live.node import pid_path
from rbts.runtime.live.registry import Registry, Version
from rbts.runtime.live.store import StateStore, default_path
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


def apply_text(settings: Settings, text: str, filename: str | None = None, *, notify: bool = True,
               wait_s: float = 15.0) -> Applied:
    """Check, store a new registry version, make it active, tell the running bot.

    An invalid strategy raises :class:`RbtsError` and changes nothing (the error is
    also recorded in the state store, so the UI shows it).
    """
    try:
        spec = program.plugin().load_text(text, filename)
    except RbtsError as exc:
        _record(settings, f"apply rejected ({filename or 'strategy'}): {exc.diagnostics[0].message}")
        raise
    reg = registry(settings)
    version = reg.save(spec.name, spec.json_text, spec.source_text, filename)
    reg.activate(version)
    if not (notify and bot_pid(settings)):
        return Applied(version, False)
    with store(settings) as st:
        command = st.send_command("reload")
        result = wait_command(st, command, wait_s)
    return Applied(version, True, result)


def apply_file(settings: Settings, path: str | Path, **kwargs) -> Applied:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RbtsError(f"{path}: cannot read it ({exc})") from None
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
    if default_path(settings.live_dir).exists():
        with store(settings) as st:
            st.log_event(message, level="ERROR", kind="apply")


# ------------------------------------------------------------------- process
def pid_info(settings: Settings) -> dict[str, Any] | None:
    try:
        return json.loads(pid_path(settings).read_text())
    except (FileNotFoundError, ValueError):
        return None


def bot_pid(settings: Settings) -> int | None:
    """The running bot's pid, or None (a stale pid file is ignored)."""
    info = pid_info(settings)
    if not info:
        return None
    pid = int(info["pid"])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return None if _is_zombie(pid) else pid


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].startswith("Z")
    except OSError:
        return False


def start(settings: Settings, mode: str = "replay", file: str | None = None, start_at: str | None = None,
          speed: float | None = None, end: str | None = None, wait_s: float = 30.0) -> int:
    """Spawn ``rbts live`` detached; returns its pid once it has written its pid file."""
    if bot_pid(settings):
        raise RbtsError(f"a bot is already running (pid {bot_pid(settings)}): stop it first")
    argv = [sys.executable, "-m", "rbts.runtime.cli.app", "--home", str(settings.home), "live"]
    if file:
        argv.append(str(Path(file).resolve()))
    argv += ["--mode", mode]
    if start_at:
        argv += ["--start", str(start_at)]
    if end:
        argv += ["--end", str(end)]
    if speed:
        argv += ["--speed", str(speed)]
    settings.live_dir.mkdir(parents=True, exist_ok=True)
    pid_path(settings).unlink(missing_ok=True)
    log = settings.live_dir / "bot.out"
    with open(log, "ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            raise RbtsError("the bot exited at start-up: " + " | ".join(tail))
        info = pid_info(settings)
        if info and info.get("pid") == proc.pid:
            return proc.pid
        time.sleep(0.1)
    return proc.pid


def stop(settings: Settings, timeout_s: float = 20.0) -> str:
    """SIGTERM the bot, wait, then SIGKILL; returns what happened."""
    pid = bot_pid(settings)
    if pid is None:
        raise RbtsError("no bot is running")
    os.kill(pid, signal.SIGTERM)
    if _wait_gone(pid, timeout_s):
        return f"stopped (pid {pid})"
    os.kill(pid, signal.SIGKILL)
    _wait_gone(pid, 5.0)
    pid_path(settings).unlink(missing_ok=True)
    with store(settings) as st:
        st.set_status(node_status="killed", connected=False)
        st.log_event(f"the bot did not stop within {timeout_s:.0f}s and was killed", level="ERROR", kind="control")
    return f"killed (pid {pid}) after {timeout_s:.0f}s"


def _wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if _is_zombie(pid):
            try:
                os.waitpid(pid, os.WNOHANG)  # our own child (started from this process)
            except ChildProcessError:
                pass
            return True
        time.sleep(0.1)
    return False


def restart(settings: Settings, timeout_s: float = 20.0) -> int:
    """Stop the bot and start it again with the same mode and replay options (active strategy)."""
    info = pid_info(settings) or {}
    if bot_pid(settings):
        stop(settings, timeout_s)
    return start(settings, info.get("mode", "replay"), None, info.get("start"), info.get("speed"), info.get("end"))


def flatten(settings: Settings, wait_s: float = 15.0) -> str:
    if not bot_pid(settings):
        raise RbtsError("no bot is running")
    with store(settings) as st:
        command = st.send_command("flatten")
        result = wait_command(st, command, wait_s)
    if result is None:
        raise RbtsError(f"the bot did not confirm the flatten within {wait_s:.0f}s (it will still run it)")
    return result


def snapshot(settings: Settings) -> dict[str, Any]:
    """Everything `rbts status` and the Live tab show, read from the state store."""
    running = bot_pid(settings)
    out: dict[str, Any] = {"running": bool(running), "pid": running}
    path = default_path(settings.live_dir)
    if not path.exists():
        return {**out, "status": {}, "positions": [], "orders": [], "fills": [], "events": [], "cycle": {},
                "equity": []}
    with StateStore(path) as st:
        status = st.status()
        out.update(status=status, positions=st.positions(), orders=st.orders(working_only=True),
                   fills=st.fills(50), events=st.events(50), cycle=st.latest_cycle(), equity=st.equity(2000))
    heartbeat = status.get("heartbeat")
    out["stale"] = bool(running and heartbeat and time.time() - heartbeat > STALE_AFTER_S)
    return out
