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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RayHead:
    def __init__(self, root: Path, cpus: int = 2) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        # a short path: Ray's unix socket paths must stay under ~107 characters
        self.temp_dir = Path(f"/tmp/rbts-ray-{os.getpid()}-{self.port}")
        self.log = root / "ray-head.log"
        ray = Path(sys.executable).with_name("ray")
        self.process = subprocess.Popen(
            [str(ray), "start", "--head", "--block", "--port", str(self.port), "--num-cpus", str(cpus),
             "--include-dashboard=false", "--node-ip-address", "127.0.0.1", "--temp-dir", str(self.temp_dir)],
            env={**os.environ, **LOOPBACK_ENV}, stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Until `ray status` answers with the node's resources."""
        deadline = time.monotonic() + timeout
        ray = Path(sys.executable).with_name("ray")
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ray head exited: {self.log.read_text()[-2000:]}")
            status = subprocess.run([str(ray), "status", "--address", self.address], capture_output=True, text=True,
                                    env={**os.environ, **LOOPBACK_ENV}, timeout=60)
            if status.returncode == 0 and "CPU" in status.stdout:
                return
            time.sleep(1.0)
        raise RuntimeError(f"ray head not ready after {timeout} s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        """SIGTERM to the head's process group, SIGKILL after a grace period; then its temp dir."""
        try:
            group = os.getpgid(self.process.pid)
        except ProcessLookupError:
            group = None
        if group is not None:
            for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(group, sig)
                except ProcessLookupError:
                    break
                deadline = time.monotonic() + grace
                while time.monotonic() < deadline and _group_alive(group):
                    time.sleep(0.1)
        self.process.wait(timeout=10)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
        return True
    except ProcessLookupError:
        return False
