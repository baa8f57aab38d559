"""Backtests in a child process, so a UI stays responsive: progress, cancel, result.

    job = BacktestJob(strategy_text, "2025-01-02", "2025-03-31", home=home)
    while job.poll() == "running":
        show(job.progress, job.label); sleep(0.2)      # or job.cancel()
    result = job.result()                              # BacktestResult, or RbtsError

The child is started with the ``spawn`` method (a clean interpreter: no inherited
threads from Streamlit or Nautilus); cancelling terminates that child only.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rbts.dsl.errors import RbtsError

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"


def _child(out, strategy: Any, start: str, end: str, capital, symbols, home) -> None:
    try:
        from rbts.runtime.backtest.runner import run_backtest

        result = run_backtest(strategy, start, end, capital=capital, symbols=symbols, home=home,
                              progress=lambda fraction, label: out.put(("progress", fraction, label)))
        out.put(("done", result))
    except RbtsError as exc:
        out.put(("error", exc.render()))
    except BaseException as exc:  # reported to the parent, never a silent death
        out.put(("error", f"internal error: {type(exc).__name__}: {exc}"))


class BacktestJob:
    """One backtest running in its own process."""

    def __init__(self, strategy: Any, start: str, end: str, capital: float | None = None,
                 symbols: list[str] | None = None, home: str | Path | None = None) -> None:
        if not isinstance(strategy, (str, dict, Path)):  # a CheckedStrategy: hand its JSON form over
            strategy = strategy.json_form()
        context = multiprocessing.get_context("spawn")
        self._queue = context.Queue()
        self._process = context.Process(
            target=_child, args=(self._queue, strategy, str(start), str(end), capital, symbols,
                                 str(home) if home else None),
            daemon=True, name="rbts-backtest")
        self.state = RUNNING
        self.progress = 0.0
        self.label = "starting"
        self.error: str | None = None
        self._result = None
        self._process.start()

    def poll(self) -> str:
        """Read what the child reported; returns the state."""
        while self.state == RUNNING:
            try:
                message = self._queue.get(timeout=0.05 if not self._process.is_alive() else 0)
            except queue_module.Empty:
                if not self._process.is_alive():
                    code = self._process.exitcode
                    self._finish(FAILED, f"the backtest process ended unexpectedly (exit code {code})")
                break
            kind = message[0]
            if kind == "progress":
                self.progress, self.label = message[1], message[2]
            elif kind == "done":
                self._result = message[1]
                self.progress, self.label = 1.0, "done"
                self._finish(DONE)
            else:
                self._finish(FAILED, message[1])
        return self.state

    def _finish(self, state: str, error: str | None = None) -> None:
        self.state, self.error = state, error
        self._process.join(timeout=5)

    def cancel(self) -> None:
        if self.state == RUNNING:
            self._process.terminate()
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
            self.state, self.label = CANCELLED, "cancelled"

    def wait(self, on_progress: Callable[[float, str], None] | None = None,
             should_cancel: Callable[[], bool] | None = None, interval: float = 0.1):
        """Block until the run ends; returns its BacktestResult or raises RbtsError."""
        while self.poll() == RUNNING:
            if on_progress is not None:
                on_progress(self.progress, self.label)
            if should_cancel is not None and should_cancel():
                self.cancel()
                break
            time.sleep(interval)
        return self.result()

    def result(self):
        if self.state == DONE:
            return self._result
        if self.state == CANCELLED:
            raise RbtsError("the backtest was cancelled")
        if self.state == FAILED:
            raise RbtsError(self.error or "the backtest failed")
        raise RbtsError("the backtest is still running")
