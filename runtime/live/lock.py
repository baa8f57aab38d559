"""One bot per home: an operating-system lock on ``<home>/live/bot.lock``, held for the bot's lifetime.

The bot takes an exclusive ``flock`` on the file before it touches anything (the active
strategy, the state store) and keeps the descriptor open until the process ends; the kernel
drops the lock when the process dies, however it dies, so a lock is never stale.  The file
also says who holds it (JSON: pid, run number, mode and options), written in place — the
file is never replaced or removed, which would break the lock.

Whether a bot runs is answered by the lock alone (:func:`holder`), never by a pid file: a
probe takes a *shared* lock for an instant; if it cannot, a bot holds the file.  A bot that
starts during a probe retries for a moment (:data:`ACQUIRE_WAIT_S`).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

from rbts.dsl.errors import RbtsError

LOCK_FILE = "bot.lock"
ACQUIRE_WAIT_S = 2.0  # a probe holds the lock for microseconds; a bot holds it for good


def lock_path(live_dir: str | Path) -> Path:
    return Path(live_dir) / LOCK_FILE


class BotLock:
    """The lock, held; ``describe`` records who holds it."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd = fd
        self.path = path

    @classmethod
    def acquire(cls, live_dir: str | Path, wait_s: float = ACQUIRE_WAIT_S) -> BotLock:
        """Take the home's lock or raise :class:`RbtsError` naming the bot that holds it."""
        path = lock_path(live_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                os.close(fd)
                raise RbtsError(already_running(holder(live_dir) or {})) from None
        lock = cls(fd, path)
        lock.describe()
        return lock

    def describe(self, **info: Any) -> None:
        """Write who holds the lock (the pid is always included), in place."""
        data = json.dumps({"pid": os.getpid(), **info}).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def release(self) -> None:
        if self._fd >= 0:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> BotLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def holder(live_dir: str | Path) -> dict[str, Any] | None:
    """What the running bot wrote into the lock (at least ``pid`` once it is written), or None if no
    bot holds the lock."""
    path = lock_path(live_dir)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_info(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_info(fd: int, wait_s: float = 1.0) -> dict[str, Any]:
    """The holder's JSON; a bot that has just taken the lock writes it a moment later."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return json.loads(os.pread(fd, 65536, 0))
        except ValueError:
            if time.monotonic() > deadline:
                return {}
            time.sleep(0.02)


def already_running(info: dict[str, Any]) -> str:
    pid = info.get("pid")
    who = f" (pid {pid})" if pid else ""
    return f"a bot is already running in this home{who}: `rbts stop` first"
