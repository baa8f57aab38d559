"""Backtests in a worker process, so the app stays usable while one runs.

A thin view over :class:`rbts.runtime.backtest.worker.BacktestJob` (the one worker
the CLI's API offers): the panel reads ``fraction``/``message`` while it runs and
``result`` or ``error`` when it is done.  The result is the same
:class:`~rbts.runtime.backtest.runner.BacktestResult` the CLI gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from rbts.dsl.errors import RbtsError
from rbts.runtime.backtest import worker


@dataclass(frozen=True)
class BacktestRequest:
    strategy_text: str
    start: date
    end: date
    capital: float
    symbols: tuple[str, ...]
    home: str
    label: str = ""


class BacktestJob:
    """One backtest of a request, running in its own process."""

    def __init__(self, request: BacktestRequest, job: worker.BacktestJob) -> None:
        self.request = request
        self._job = job
        self.result: Any = None
        self.error: str | None = None

    @classmethod
    def start(cls, request: BacktestRequest) -> BacktestJob:
        job = worker.BacktestJob(request.strategy_text, request.start.isoformat(), request.end.isoformat(),
                                 capital=request.capital, symbols=list(request.symbols), home=request.home)
        return cls(request, job)

    @property
    def fraction(self) -> float:
        return self._job.progress

    @property
    def message(self) -> str:
        return self._job.label

    @property
    def done(self) -> bool:
        return self.result is not None or self.error is not None

    def poll(self) -> None:
        """Take what the worker reported so far."""
        if self.done or self._job.poll() == worker.RUNNING:
            return
        try:
            self.result = self._job.result()
        except RbtsError as exc:
            self.error = exc.render()

    def wait(self, timeout: float = 600.0) -> None:
        """Block until the job is done (tests and scripts)."""
        import time

        deadline = time.monotonic() + timeout
        while not self.done and time.monotonic() < deadline:
            self.poll()
            time.sleep(0.2)
        if not self.done:
            self.cancel()
            self.error = f"the backtest took longer than {timeout:.0f} s and was stopped"

    def cancel(self) -> None:
        self._job.cancel()
        self.poll()
        if not self.done:
            self.error = "cancelled"
