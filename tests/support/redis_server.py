"""A real ``redis-server`` (Debian's package) on 127.0.0.1 at a free port, for one test.

It keeps nothing on disk (no RDB, no AOF, its folder is the test's) and is stopped by the
fixture that started it; it is installed with apt-get when missing, like Chromium.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.browser import free_port


def ensure_redis() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=False, capture_output=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "redis-server"], check=False, capture_output=True)
    found = shutil.which("redis-server")
    if not found:
        pytest.fail("redis-server is missing and could not be installed: run `make redis-deps` "
                    "(apt-get install redis-server) as root")
    return found


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[int]:
    """Yields the port of a fresh redis-server; stops exactly that process afterwards."""
    import redis

    binary = ensure_redis()
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "redis.log", "wb") as log:
        proc = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                 "--appendonly", "no", "--dir", str(folder), "--protected-mode", "yes"],
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start: {(folder / 'redis.log').read_text()[-1000:]}")
                time.sleep(0.05)
        client.close()
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
