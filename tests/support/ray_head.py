"""A real single-node Ray cluster on 127.0.0.1 for tests (shared/notes/ray.md): started in its
own process group on a free port with its own temp dir; stopped by signalling that group only."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}
# the raylet's own start-up wait (a C++ setting); a loaded 2-core machine starts the raylet slowly
SLOW_MACHINE_ENV = {"RAY_raylet_start_wait_time_s": "180"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# `ray start` itself gives the raylet a fixed 30 s to register with the GCS (ray/_private/node.py,
# hard-coded, not the setting above); on a loaded 2-core machine that can pass, and the head exits
# with this line.
STARTUP_TIMED_OUT = "timed out during startup"
STARTED = "Ray runtime started."


class RayHead:
    def __init__(self, root: Path, cpus: int = 2) -> None:
        self.log, self.cpus = root / "ray-head.log", cpus
        self._start()

    def _start(self) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        # a short path: Ray's unix socket paths must stay under ~107 characters
        self.temp_dir = Path(f"/tmp/rbts-ray-{os.getpid()}-{self.port}")
        self._log_from = self.log.stat().st_size if self.log.exists() else 0  # this start's part of the log
        ray = Path(sys.executable).with_name("ray")
        self.process = subprocess.Popen(
            [str(ray), "start", "--head", "--block", "--port", str(self.port), "--num-cpus", str(self.cpus),
             "--include-dashboard=false", "--node-ip-address", "127.0.0.1", "--temp-dir", str(self.temp_dir)],
            env={**os.environ, **LOOPBACK_ENV, **SLOW_MACHINE_ENV}, stdout=open(self.log, "a"),
            stderr=subprocess.STDOUT, start_new_session=True)

    def _log(self) -> str:
        with open(self.log, errors="replace") as fh:
            fh.seek(self._log_from)
            return fh.read()

    def wait_ready(self, timeout: float = 360.0, starts: int = 3) -> None:
        """Until the head reports "Ray runtime started." (printed by `ray start` once its raylet has
        registered with the GCS, resources included). A head that timed out during its own start-up
        (load) is started again, each start with the whole timeout, up to `starts` times. The log is
        read rather than asking `ray status`: that is a new Python process importing ray, which took
        minutes at load ~17 and kept a dead head from being noticed."""
        for attempt in range(1, starts + 1):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                text = self._log()
                if self.process.poll() is not None:
                    break
                if STARTED in text:
                    return
                time.sleep(0.5)
            else:
                break  # still starting at the deadline
            if STARTUP_TIMED_OUT not in self._log() or attempt == starts:
                raise RuntimeError(f"ray head exited: {self._log()[-2000:]}")
            self.stop()
            self._start()
        raise RuntimeError(f"ray head at {self.address} not started after {timeout:.0f} s (load average "
                           f"{os.getloadavg()[0]:.1f})\nhead log: {self._log()[-2000:]}")

    def stop(self) -> None:
        """SIGTERM to the head's process group, SIGKILL after a grace period; then its temp dir.
        The group is the head's pid (start_new_session), still valid after the head itself exited."""
        group = self.process.pid
        for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and (self.process.poll() is None or _group_alive(group)):
                time.sleep(0.1)
        self.process.wait(timeout=10)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
        return True
    except ProcessLookupError:
        return False
