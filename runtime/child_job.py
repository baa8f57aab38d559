"""Long work in a ``spawn`` child process, watched by a parent that must stay responsive (the
app): the one poll / end / cancel loop of backtests (:mod:`rbts.runtime.backtest.worker`) and
sweeps (:mod:`rbts.runtime.research.job`).

The child runs ``work(report, *args)`` through :func:`child_main`, which reports on a queue:
``("progress", ...)`` as often as ``report(...)`` is called, then ``("done", what work
returned)`` or ``("error", text)`` -- a user error rendered, anything else named as an internal
error, never a silent death. The parent's :class:`ChildJob` reads the queue when polled; a
child that ends without a last word is failed (or cancelled, when it was told to stop).
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import sys
import threading
from collections.abc import Callable
from typing import Any

from rbts.dsl.errors import RbtsError

RUNNING, FAILED = "running", "failed"

_MAIN_LOCK = threading.Lock()


def start_clean(process: multiprocessing.Process) -> None:
    """Start a ``spawn`` child without re-running the parent's ``__main__`` script in it.

    spawn runs the parent's main script again in the child (as ``__mp_main__``) unless it
    is guarded by ``if __name__ == "__main__"``; a script that starts a sweep without the
    guard, or a host that swapped ``__main__`` (Streamlit, test runners), would start
    workers recursively or fail.  Children need nothing from it: their targets live in rbts."""
    with _MAIN_LOCK:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = sys.modules[__name__]
        try:
            process.start()
        finally:
            if main is not None:
                sys.modules["__main__"] = main


def child_main(out, work: Callable[..., Any], *args: Any) -> None:
    """The child's side: ``work(report, *args)``, its outcome put on ``out``."""
    try:
        out.put(("done", work(lambda *values: out.put(("progress", *values)), *args)))
    except RbtsError as exc:
        out.put(("error", exc.render()))
    except BaseException as exc:  # reported to the parent, never a silent death
        out.put(("error", f"internal error: {type(exc).__name__}: {exc}"))


class ChildJob:
    """One piece of work in its own process. Subclasses say what a progress report and the
    work's result mean (:meth:`_on_progress`, :meth:`_on_done`) and name their states."""

    what = "work"  # "the backtest process ended unexpectedly"
    cancelled = "cancelled"  # the state of a job stopped by cancel() that said nothing more
    end_timeout = 5.0  # seconds to wait for the child to exit once it has reported its end
    stop_timeout = 5.0  # seconds between SIGTERM and SIGKILL when cancelled

    def __init__(self, work: Callable[..., Any], *args: Any, daemon: bool = True) -> None:
        context = multiprocessing.get_context("spawn")
        self._queue = context.Queue()
        self._process = context.Process(target=child_main, args=(self._queue, work, *args), daemon=daemon,
                                        name=f"rbts-{self.what}")
        self.state = RUNNING
        self.error: str | None = None
        self._stopping = False
        start_clean(self._process)

    def _on_progress(self, *values: Any) -> None:
        raise NotImplementedError

    def _on_done(self, result: Any) -> str:
        """Take the work's result; return the job's final state."""
        raise NotImplementedError

    def poll(self) -> str:
        """Read what the child reported so far; returns the state."""
        while self.state == RUNNING:
            try:
                message = self._queue.get(timeout=0.05 if not self._process.is_alive() else 0)
            except queue_module.Empty:
                if not self._process.is_alive():
                    self._ended_silently()
                break
            if message[0] == "progress":
                self._on_progress(*message[1:])
            elif message[0] == "done":
                self._end(self._on_done(message[1]))
            else:
                self._end(FAILED, message[1])
        return self.state

    def _ended_silently(self) -> None:
        if self._stopping:
            self._end(self.cancelled)
        else:
            self._end(FAILED, f"the {self.what} process ended unexpectedly (exit code {self._process.exitcode})")

    def _end(self, state: str, error: str | None = None) -> None:
        self.state, self.error = state, error
        self._process.join(timeout=self.end_timeout)

    def cancel(self, timeout: float | None = None) -> None:
        """Stop the child (SIGTERM, SIGKILL after ``timeout`` seconds), then read what it reported
        before it ended (a sweep reports its finished rows); with nothing more it is cancelled."""
        if self.state != RUNNING:
            return
        if self._process.is_alive():  # (one that died on its own is failed, as poll() finds)
            self._stopping = True
            self._process.terminate()
            self._process.join(timeout=self.stop_timeout if timeout is None else timeout)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
        self.poll()

    @property
    def done(self) -> bool:
        return self.state != RUNNING
