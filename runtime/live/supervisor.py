"""The supervisor of `rbts live --detach`: a small watchdog process that runs the bot as its
child, restarts it with back-off when it dies unexpectedly, and gives up loudly after too
many deaths in a window.

* A clean stop is never a crash: `rbts stop` (or SIGTERM to the supervisor) stops the
  supervisor first, then the bot; a bot that ended with ``stopped`` is not restarted.
  Crash or stop is read from the bot's runs (``control.bot_state``), not from exit codes.
* Each death is an ERROR event of kind ``died`` (an alert): the run, why, the restart delay.
* ``max_crashes`` deaths within ``crash_window_s``: a CRITICAL ``died`` event, no more restarts.
* A first start that ends before it began its run (`rbts live --detach` then reports why), or
  whose run failed with an error within a minute (a settings error, no catalog: a CRITICAL
  ``died`` event), is not retried: restarting cannot fix it.
* Restarts run ``rbts live --resume`` with the last run's mode and options on the active
  strategy: the new run continues from the dead run's last cycle (docs/live.md "Restart and crash").

Run as ``python -m rbts.runtime.live.supervisor --home HOME -- live ARGS...``; its pid is in
``live/supervisor.pid`` while it runs.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from rbts.runtime.live.store import END_FAILED, StateStore, default_path
from rbts.runtime.settings import Settings, load_settings

PID_FILE = "supervisor.pid"
FIRST_START_S = 60.0  # a first run that fails (reports an error) this soon is a start-up error


def pid_path(settings: Settings) -> Path:
    return settings.live_dir / PID_FILE


def supervisor_pid_file(settings: Settings) -> int | None:
    try:
        return int(json.loads(pid_path(settings).read_text())["pid"])
    except (FileNotFoundError, ValueError, KeyError):
        return None


def supervisor_pid(settings: Settings) -> int | None:
    """The running supervisor's pid, or None."""
    from rbts.runtime.live.control import _alive

    pid = supervisor_pid_file(settings)
    return pid if pid is not None and _alive(pid) else None


class Supervisor:
    def __init__(self, settings: Settings, live_args: list[str]) -> None:
        self.settings = settings
        self.live_args = live_args
        self.stopping = threading.Event()
        self.child: subprocess.Popen | None = None
        self.deaths: collections.deque[float] = collections.deque()

    def run(self) -> int:
        from rbts.runtime.alerts import hub
        from rbts.runtime.files import atomic_write

        atomic_write(pid_path(self.settings), json.dumps({"pid": os.getpid(), "started": time.time()}),
                     parents=True)
        signal.signal(signal.SIGTERM, self._on_sigterm)
        signal.signal(signal.SIGINT, self._on_sigterm)
        alerts = hub.start(self.settings)  # the supervisor's own alerts: died, gave up
        try:
            return self._loop()
        finally:
            if alerts is not None:
                alerts.close()
            if supervisor_pid_file(self.settings) == os.getpid():  # not a later supervisor's file
                pid_path(self.settings).unlink(missing_ok=True)

    def _loop(self) -> int:
        from rbts.runtime.live import control

        args, first = self.live_args, True
        while not self.stopping.is_set():
            started = time.monotonic()
            self.child = subprocess.Popen(self._argv(args), stdin=subprocess.DEVNULL)
            code = self.child.wait()
            state = control.bot_state(self.settings)
            if self.stopping.is_set() or state.state in ("stopped", "none"):
                return 0
            if state.running and state.pid != self.child.pid:
                return 0 if not first else (code or 1)  # another bot holds the home now: not ours to restart
            if first and state.pid != self.child.pid:
                return code or 1  # it never began its run: `rbts live --detach` shows why
            last = control._last_run(self.settings) or {}
            if first and last.get("end_state") == END_FAILED and time.monotonic() - started < FIRST_START_S:
                self._event(f"bot failed at start-up: run {state.run} ({state.detail}); not restarted, "
                            "as that cannot fix it: correct it, then `rbts restart`", "CRITICAL")
                return code or 1
            first, args = False, self._restart_args()
            delay = self._death(state)
            if delay is None or self.stopping.wait(delay):
                return 0 if self.stopping.is_set() else 1
            if (control._last_run(self.settings) or {}).get("run") != state.run:
                return 0  # another bot ran since the death (`rbts live`, detached or not): not ours to resume
        return 0

    def _death(self, state) -> float | None:
        """Record a death; the delay before the restart, or None when giving up."""
        s = self.settings
        now = time.monotonic()
        self.deaths.append(now)
        while self.deaths and now - self.deaths[0] > s.crash_window_s:
            self.deaths.popleft()
        why = state.detail or "the process ended without a clean stop"
        count = len(self.deaths)
        if count >= s.max_crashes:
            self._event(f"bot died: run {state.run} ({why}); {count} deaths within {s.crash_window_s / 60:g} min: "
                        "the supervisor gives up and does not restart it. Look at live/bot.out and "
                        "live/node.jsonl, then `rbts restart`", "CRITICAL")
            return None
        delay = s.restart_delays_s[min(count - 1, len(s.restart_delays_s) - 1)]
        self._event(f"bot died: run {state.run} ({why}); restarting in {delay:g} s "
                    f"(death {count} of at most {s.max_crashes} within {s.crash_window_s / 60:g} min)", "ERROR")
        return delay

    def _event(self, message: str, level: str) -> None:
        print(f"rbts supervisor: {message}", file=sys.stderr, flush=True)
        with StateStore(default_path(self.settings.live_dir)) as store:
            store.log_event(message, level=level, kind="died")

    def _argv(self, args: list[str]) -> list[str]:
        return [sys.executable, "-m", "rbts.runtime.cli.app", "--home", str(self.settings.home), *args]

    def _restart_args(self) -> list[str]:
        """``live --resume`` with the last run's mode and options, on the active strategy (no file: it is applied)."""
        from rbts.runtime.live import control

        last = control._last_run(self.settings) or {}
        options = last.get("options") or {}
        args = ["live", "--mode", options.get("mode") or last.get("mode") or "replay", "--resume"]
        for flag in ("start", "end", "speed"):
            if options.get(flag):
                args += [f"--{flag}", str(options[flag])]
        return args

    def _on_sigterm(self, *_args) -> None:
        self.stopping.set()
        child = self.child
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)  # a clean stop of the bot (its run ends "stopped")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 3 or argv[0] != "--home" or "--" not in argv:
        print("usage: python -m rbts.runtime.live.supervisor --home HOME -- live ARGS...", file=sys.stderr)
        return 2
    split = argv.index("--")
    return Supervisor(load_settings(argv[1]), argv[split + 1:]).run()


if __name__ == "__main__":
    sys.exit(main())
