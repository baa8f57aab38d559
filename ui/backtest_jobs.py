"""Backtests in a worker process, so the app stays usable while one runs.

:class:`BacktestJob` starts ``run_backtest`` in a spawned process (Nautilus and
Streamlit both run threads; ``fork`` would copy them half-alive) and reads its
progress and its result from a queue.  The result is the same
:class:`~rbts.runtime.backtest.runner.BacktestResult` the CLI gets.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
import traceback
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class BacktestRequest:
    strategy_text: str
    start: date
    end: date
    capital: float
    symbols: tuple[str, ...]
    home: str
    label: str = ""


def _work(out: mp.Queue, request: BacktestRequest) -> None:
    """The worker: run, stream progress, send the result or a user-readable error."""
    try:
        from rbts.dsl.errors import RbtsError
        from rbts.runtime.backtest.runner import run_backtest

        def progress(fraction: float, message: str) -> None:
            out.put(("progress", float(fraction), message))

        try:
            result = run_backtest(request.strategy_text, request.start, request.end, capital=request.capital,
                                  symbols=list(request.symbols), home=request.home, progress=progress)
        except RbtsError as exc:
            out.put(("error", exc.render()))
            return
        out.put(("done", result))
    except Exception as exc:  # noqa: BLE001 - shown to the user instead of a silent dead worker
        out.put(("error", f"internal error: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}"))


@dataclass
class BacktestJob:
    request: BacktestRequest
    fraction: float = 0.0
    message: str = "starting"
    result: Any = None
    error: str | None = None
    started: float = field(default_factory=time.time)
    _process: Any = None
    _queue: Any = None

    @classmethod
    def start(cls, request: BacktestRequest) -> BacktestJob:
        ctx = mp.get_context("spawn")
        job = cls(request)
        job._queue = ctx.Queue()
        job._process = ctx.Process(target=_work, args=(job._queue, request), daemon=True, name="rbts-backtest")
        job._process.start()
        return job

    @property
    def done(self) -> bool:
        return self.result is not None or self.error is not None

    def poll(self, wait: float = 0.0) -> None:
        """Take every message the worker sent (waiting up to ``wait`` seconds for the first)."""
        if self.done:
            return
        deadline = time.time() + wait
        while True:
            try:
                kind, *payload = self._queue.get(timeout=max(0.0, deadline - time.time()) or 0.01)
            except queue.Empty:
                break
            if kind == "progress":
                self.fraction, self.message = payload
            elif kind == "done":
                self.result, self.fraction, self.message = payload[0], 1.0, "done"
            else:
                self.error = payload[0]
            if self.done:
                break
        if not self.done and self._process is not None and not self._process.is_alive():
            self._drain_after_exit()

    def _drain_after_exit(self) -> None:
        try:  # the last message may arrive just after the process ended
            kind, *payload = self._queue.get(timeout=1.0)
            if kind == "done":
                self.result, self.fraction = payload[0], 1.0
                return
            if kind == "error":
                self.error = payload[0]
                return
        except queue.Empty:
            pass
        self.error = f"the backtest worker ended unexpectedly (exit code {self._process.exitcode})"

    def wait(self, timeout: float = 600.0) -> None:
        """Block until the job is done (tests and scripts)."""
        deadline = time.time() + timeout
        while not self.done and time.time() < deadline:
            self.poll(wait=0.5)
        if not self.done:
            self.cancel()
            self.error = f"the backtest took longer than {timeout:.0f} s and was stopped"

    def cancel(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
        if not self.done:
            self.error = "cancelled"
