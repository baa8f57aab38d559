"""Backtests in a child process, so a UI stays responsive: progress, cancel, result.

    job = BacktestJob(strategy_text, "2025-01-02", "2025-03-31", home=home)
    while job.poll() == "running":
        show(job.progress, job.label); sleep(0.2)      # or job.cancel()
    result = job.result()                              # BacktestResult, or RbtsError

The child is started with the ``spawn`` method (a clean interpreter: no inherited
threads from Streamlit or Nautilus); cancelling terminates that child only. Polling and
cancelling are :class:`rbts.runtime.child_job.ChildJob`'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rbts.dsl.errors import RbtsError
from rbts.runtime.child_job import FAILED, RUNNING, ChildJob

DONE, CANCELLED = "done", "cancelled"
__all__ = ["CANCELLED", "DONE", "FAILED", "RUNNING", "BacktestJob"]


def _backtest(report, strategy: Any, start: str, end: str, capital, symbols, home):
    from rbts.runtime.backtest.runner import run_backtest

    return run_backtest(strategy, start, end, capital=capital, symbols=symbols, home=home, progress=report)


class BacktestJob(ChildJob):
    """One backtest running in its own process."""

    what = "backtest"
    cancelled = CANCELLED

    def __init__(self, strategy: Any, start: str, end: str, capital: float | None = None,
                 symbols: list[str] | None = None, home: str | Path | None = None) -> None:
        if not isinstance(strategy, (str, dict, Path)):  # a CheckedStrategy: hand its JSON form over
            strategy = strategy.json_form()
        self.progress = 0.0
        self.label = "starting"
        self._result = None
        super().__init__(_backtest, strategy, str(start), str(end), capital, symbols, str(home) if home else None)

    def _on_progress(self, fraction: float, label: str) -> None:
        self.progress, self.label = fraction, label

    def _on_done(self, result) -> str:
        self._result = result
        self.progress, self.label = 1.0, "done"
        return DONE

    def _end(self, state: str, error: str | None = None) -> None:
        super()._end(state, error)
        if state == CANCELLED:
            self.label = "cancelled"

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
