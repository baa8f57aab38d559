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


class RayHead:
    def __init__(self, root: Path, cpus: int = 2) -> None:
        self.log, self.cpus = root / "ray-head.log", cpus
        self._start()

    def _start(self) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        # a short path: Ray's unix socket paths must stay under ~107 characters
        self.temp_dir = Path(f"/tmp/rbts-ray-{os.getpid()}-{self.port}")
        ray = Path(sys.executable).with_name("ray")
        self.process = subprocess.Popen(
            [str(ray), "start", "--head", "--block", "--port", str(self.port), "--num-cpus", str(self.cpus),
             "--include-dashboard=false", "--node-ip-address", "127.0.0.1", "--temp-dir", str(self.temp_dir)],
            env={**os.environ, **LOOPBACK_ENV, **SLOW_MACHINE_ENV}, stdout=open(self.log, "a"), stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_ready(self, timeout: float = 360.0) -> None:
        """Until `ray status` answers with the node's resources. On a loaded machine, a head that
        timed out during its own start-up is started again, and a slow `ray status` (a new Python
        process importing ray each time) is waited for; both only up to the deadline."""
        deadline = time.monotonic() + timeout
        ray = Path(sys.executable).with_name("ray")
        last = "no answer"
        while (left := deadline - time.monotonic()) > 0:
            if self.process.poll() is not None:
                if STARTUP_TIMED_OUT not in self.log.read_text()[-3000:]:
                    raise RuntimeError(f"ray head exited: {self.log.read_text()[-2000:]}")
                self.stop()
                self._start()
                continue
            try:
                status = subprocess.run([str(ray), "status", "--address", self.address], capture_output=True,
                                        text=True, env={**os.environ, **LOOPBACK_ENV}, timeout=max(left, 1.0))
            except subprocess.TimeoutExpired:
                last = "`ray status` still running at the deadline"
                break
            if status.returncode == 0 and "CPU" in status.stdout:
                return
            last = (status.stdout + status.stderr)[-500:]
            time.sleep(1.0)
        raise RuntimeError(f"ray head at {self.address} not ready after {timeout:.0f} s (load average "
                           f"{os.getloadavg()[0]:.1f}); last `ray status`: {last}\nhead log: {self.log.read_text()[-2000:]}")

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
