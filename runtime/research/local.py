"""The default executor: worker processes on this machine (nothing to install or start).

Each worker is a ``spawn``ed process that loads the strategy, its imports and the catalog
once, then runs one task at a time sent over its own pipe, so the driver always knows
which variant a worker holds: if the process dies, that variant is retried once on a
fresh worker.  Workers ignore Ctrl-C; the driver decides when they stop.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait

from rbts.dsl.errors import RbtsError
from rbts.runtime.child_job import start_clean
from rbts.runtime.research.executor import Executor, after_death
from rbts.runtime.research.tasks import PreparedSetup, RunSetup, Task, TaskResult


MAX_FAILED_STARTS = 3


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _worker_main(conn, setup: RunSetup) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        prepared = PreparedSetup(setup)
    except RbtsError as exc:
        conn.send(("init_error", exc.render()))
        return
    except BaseException as exc:  # reported, never a silent death
        conn.send(("init_error", f"internal error: {type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the driver is gone
            return
        if task is None:
            return
        conn.send(("result", prepared.run(task)))


@dataclass
class _Worker:
    process: multiprocessing.Process
    conn: object
    task: Task | None = None
    ready: bool = False  # it loaded its strategy and imports


class LocalExecutor(Executor):
    def __init__(self, workers: int | None = None) -> None:
        super().__init__()
        self.workers = max(1, workers or default_workers())
        self._context = multiprocessing.get_context("spawn")
        self._pool: list[_Worker] = []
        self._setup: RunSetup | None = None
        self._ready: list[TaskResult] = []
        self._failed_starts = 0

    def describe(self) -> dict:
        return {"kind": "local", "workers": self.workers}

    def start(self, setup: RunSetup, runs: int | None = None) -> None:
        self._setup = setup
        self._pool = [self._spawn() for _ in range(min(self.workers, runs or self.workers))]

    def _spawn(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker_main, args=(child, self._setup), daemon=True,
                                        name="rbts-sweep-worker")
        start_clean(process)
        child.close()
        return _Worker(process, parent)

    def pids(self) -> list[int]:
        return [w.process.pid for w in self._pool]

    def _dispatch(self) -> None:
        for worker in self._pool:
            if not self._queue:
                return
            if worker.task is None and worker.process.is_alive():
                worker.task = self._queue.popleft()
                try:
                    worker.conn.send(worker.task)
                except (BrokenPipeError, OSError):
                    pass  # seen as a death by the next poll

    def poll(self, timeout: float) -> list[TaskResult]:
        if not self._ready and self._pool:
            waitables = [w.conn for w in self._pool] + [w.process.sentinel for w in self._pool]
            for ready in wait(waitables, timeout):
                self._take(ready)
        out, self._ready = self._ready, []
        self._pending -= len(out)
        return out

    def _take(self, ready) -> None:
        for worker in list(self._pool):
            if ready is worker.conn:
                try:
                    kind, payload = worker.conn.recv()
                except (EOFError, OSError):
                    self._died(worker)
                    return
                if kind == "init_error":
                    raise RbtsError(f"a sweep worker could not start: {payload}")
                worker.ready = True
                if kind == "ready":
                    return
                worker.task = None
                self._ready.append(payload)
                self._dispatch()
                return
            if ready == worker.process.sentinel and not worker.process.is_alive():
                self._died(worker)
                return

    def _died(self, worker: _Worker) -> None:
        worker.process.join(timeout=1)
        code = worker.process.exitcode
        if not worker.ready:
            self._failed_starts += 1
            if self._failed_starts >= MAX_FAILED_STARTS:
                raise RbtsError(f"sweep workers keep dying before they start (exit code {code})")
        self._pool.remove(worker)
        worker.conn.close()
        if worker.task is not None:
            outcome = after_death(worker.task, f"exit code {code}")
            if isinstance(outcome, Task):
                self._queue.appendleft(outcome)
            else:
                self._ready.append(outcome)
        self._pool.append(self._spawn())
        self._dispatch()

    def close(self) -> None:
        for worker in self._pool:
            if worker.task is None:
                try:
                    worker.conn.send(None)
                except (BrokenPipeError, OSError):
                    pass
        for worker in self._pool:
            if worker.task is not None:
                worker.process.terminate()
        for worker in self._pool:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=5)
            worker.conn.close()
        self._pool, self._queue = [], deque()
