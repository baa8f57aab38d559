"""What ``RuleStrategy`` records per cycle, kept compact and open to subscribers.

The backtest runner reads the columns (equity curve, exposure); the live monitor
and the UI subscribe to :class:`CycleRecord` and :class:`StrategyEvent` as they
happen (rule states, compared values, risk events).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rbts.compiler.protocol import CycleResult


@dataclass(frozen=True)
class CycleRecord:
    """One cycle: marks after the cycle's orders were placed (and, on bars, filled)."""

    ts_ns: int
    equity: float
    cash: float
    positions: dict[str, float]  # symbol -> open quantity (only symbols with a position)
    result: CycleResult


@dataclass(frozen=True)
class StrategyEvent:
    """Something a trader wants to see in the log and in results (a risk stop, a re-sent exit, a rejection)."""

    ts_ns: int
    kind: str  # e.g. "max_daily_loss", "exit_market", "order_rejected", "entry_skipped"
    symbol: str | None
    message: str
    data: dict[str, Any] = field(default_factory=dict)


class CycleRecorder:
    """Columnar per-cycle record (ts, equity, cash, exposure) plus callbacks.

    ``keep_results=True`` also keeps every :class:`CycleResult` (rule states and
    values); a backtest does not need them, a short live session may.
    """

    def __init__(self, keep_results: bool = False) -> None:
        self.ts: list[int] = []
        self.equity: list[float] = []
        self.cash: list[float] = []
        self.invested: list[bool] = []  # any position open at the cycle
        self.results: list[CycleResult] = []
        self.events: list[StrategyEvent] = []
        self.keep_results = keep_results
        self._cycle_hooks: list[Callable[[CycleRecord], None]] = []
        self._event_hooks: list[Callable[[StrategyEvent], None]] = []

    def subscribe(
        self,
        on_cycle: Callable[[CycleRecord], None] | None = None,
        on_event: Callable[[StrategyEvent], None] | None = None,
    ) -> None:
        if on_cycle is not None:
            self._cycle_hooks.append(on_cycle)
        if on_event is not None:
            self._event_hooks.append(on_event)

    def record_cycle(self, record: CycleRecord) -> None:
        self.ts.append(record.ts_ns)
        self.equity.append(record.equity)
        self.cash.append(record.cash)
        self.invested.append(bool(record.positions))
        if self.keep_results:
            self.results.append(record.result)
        for hook in self._cycle_hooks:
            hook(record)

    def record_event(self, event: StrategyEvent) -> None:
        self.events.append(event)
        for hook in self._event_hooks:
            hook(event)

    def __len__(self) -> int:
        return len(self.ts)
