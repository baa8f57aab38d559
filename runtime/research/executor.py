"""What the sweep driver needs from a place to run variants (local processes or Ray).

The driver submits :class:`~rbts.runtime.research.tasks.Task`s and polls for results; an
executor keeps its own queue and hands tasks to idle workers.  A task whose worker dies
is run once more on a fresh worker, then reported as an error row.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from dataclasses import replace

from rbts.runtime.research.tasks import RunSetup, Task, TaskResult

MAX_ATTEMPTS = 2


class Executor(ABC):
    """Subclasses start their workers, hand queued tasks to idle ones (:meth:`_dispatch`) and
    collect results; :meth:`poll` lowers ``_pending`` by what it returns."""

    workers: int

    def __init__(self) -> None:
        self._queue: deque[Task] = deque()  # submitted, not handed to a worker yet
        self._pending = 0  # submitted, not yet returned by poll()

    @abstractmethod
    def start(self, setup: RunSetup, runs: int | None = None) -> None:
        """Start the workers (no more than ``runs``); each loads the strategy and its imports once."""

    def submit(self, task: Task) -> None:
        """Queue a task; it runs when a worker is free."""
        self._pending += 1
        self._queue.append(task)
        self._dispatch()

    @abstractmethod
    def _dispatch(self) -> None:
        """Hand queued tasks to idle workers."""

    @abstractmethod
    def poll(self, timeout: float) -> list[TaskResult]:
        """Results finished since the last call (waits up to ``timeout`` s for the first)."""

    @property
    def pending(self) -> int:
        """Tasks submitted and not yet returned by :meth:`poll`."""
        return self._pending

    @abstractmethod
    def close(self) -> None:
        """Stop every worker this executor started (running tasks are abandoned)."""

    @abstractmethod
    def describe(self) -> dict:
        """The ``executor`` entry of sweep.json."""


def after_death(task: Task, why: str) -> Task | TaskResult:
    """The retry of a task whose worker died, or its error row after the last attempt."""
    if task.attempt < MAX_ATTEMPTS:
        return replace(task, attempt=task.attempt + 1)
    return TaskResult.failed(task, f"the worker running this variant died {MAX_ATTEMPTS} times ({why})")
