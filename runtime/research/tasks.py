"""One variant's run: what a worker receives (:class:`Task`), how it builds the variant's
strategy (:class:`ParamStrategy`: ``bind`` of the checked strategy), and what it sends back (:class:`TaskResult`).  :func:`run_task` is the only place a sweep runs a backtest,
and it calls the one backtest runner, ``run_backtest``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rbts.dsl.errors import RbtsError

TRAIN, TEST, RUN = "train", "test", "run"


@dataclass(frozen=True)
class Task:
    kind: str  # "run" (a plain sweep), "train" or "test" (walk-forward)
    fold: int  # 0 outside walk-forward
    variant: int
    values: Mapping[str, Any]
    start: str
    end: str
    want_equity: bool = False  # walk-forward test runs: their equity curve is chained
    attempt: int = 1

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.kind, self.fold, self.variant)


@dataclass
class TaskResult:
    kind: str
    fold: int
    variant: int
    status: str  # "ok" | "error"
    metrics: dict[str, Any] = field(default_factory=dict)
    returns: list[tuple[str, float]] | None = None  # (New York date, daily return)
    equity: list[tuple[int, float]] | None = None  # (ts ns UTC, equity) per cycle
    error: str = ""
    seconds: float = 0.0
    worker: str = ""

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.kind, self.fold, self.variant)

    @classmethod
    def failed(cls, task: Task, error: str, seconds: float = 0.0, worker: str = "") -> TaskResult:
        return cls(task.kind, task.fold, task.variant, "error", error=error, seconds=seconds, worker=worker)


@dataclass(frozen=True)
class RunSetup:
    """What every run of a sweep shares: the strategy and where its bars are."""

    strategy: Any  # ParamStrategy (tests subclass it)
    home: str  # the home folder (its catalog is read by path on every worker)
    capital: float | None = None
    tickers: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ParamStrategy:
    """A strategy with params (SPEC §6.1); each variant is ``bind(checked, values)``."""

    source: str  # DSL text, or JSON text of the strategy's JSON form
    filename: str | None = None

    def prepare(self):
        checked = load_source(self.source)
        return lambda values: _bind(checked, values)

    def text_with(self, values: Mapping[str, Any]) -> str:
        """The strategy text with each param's default set to ``values`` (best.rbts): in DSL
        text only the defaults change (comments and layout stay); a JSON form is written as
        the formatter's DSL text, since best.rbts is a .rbts file."""
        from rbts.dsl.load import is_json_text
        from rbts.dsl.params import with_defaults

        if is_json_text(self.source):
            from rbts.dsl.formatter import format_strategy

            return format_strategy(_bind(load_source(self.source), values).strategy)
        if not values:
            return self.source
        return with_defaults(self.source, values, self.filename)


def load_source(source: str):
    """The checked strategy of DSL or JSON text, through the front door."""
    from rbts.dsl.load import load_strategy

    return load_strategy(source)


def _bind(checked, values: Mapping[str, Any]):
    if not values:
        return checked
    from rbts.dsl.params import bind

    return bind(checked, values)


class PreparedSetup:
    """A worker's state, built once: imports done, the strategy loaded, then many variants."""

    def __init__(self, setup: RunSetup) -> None:
        import rbts.runtime.backtest.runner  # noqa: F401  (the imports every run needs, paid once)

        self.setup = setup
        self.variant = setup.strategy.prepare()
        self.worker = f"{os.uname().nodename}:{os.getpid()}"

    def run(self, task: Task) -> TaskResult:
        started = time.perf_counter()
        try:
            return self._run(task, started)
        except RbtsError as exc:
            error = exc.render().splitlines()[0]
        except Exception as exc:  # a bug in one variant must not end the sweep
            error = f"internal error: {type(exc).__name__}: {exc}"
        return TaskResult.failed(task, error, time.perf_counter() - started, self.worker)

    def _run(self, task: Task, started: float) -> TaskResult:
        from rbts.runtime.backtest.metrics import METRIC_KEYS, daily_equity, daily_returns
        from rbts.runtime.backtest.runner import run_backtest

        s = self.setup
        result = run_backtest(self.variant(task.values), task.start, task.end, capital=s.capital,
                              symbols=list(s.tickers) if s.tickers else None, home=s.home)
        metrics = {k: result.metrics[k] for k in METRIC_KEYS}
        metrics["warnings"] = list(result.metrics.get("warnings", []))
        curve = result.equity["equity"]
        daily = daily_equity(result.equity.index, curve.to_numpy()) if len(curve) else None
        returns = [] if daily is None else list(zip(
            [d.isoformat() for d in daily.index], daily_returns(daily, metrics["initial_capital"]).tolist()))
        equity = list(zip(curve.index.asi8.tolist(), curve.to_numpy(float).tolist())) if task.want_equity else None
        return TaskResult(task.kind, task.fold, task.variant, "ok", metrics, returns, equity,
                          seconds=time.perf_counter() - started, worker=self.worker)
