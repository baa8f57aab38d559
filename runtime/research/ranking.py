"""Which variant is best (SPEC §6.2).

Larger objective is better for every metric (max_drawdown is negative).  A variant with
fewer than ``min_trades`` closed trades ranks below every variant that has enough; an
undefined objective (``null`` in metrics.json) ranks below every defined one; a failed
variant ranks last; among equals the lower variant number wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rbts.dsl.errors import RbtsError
from rbts.runtime.backtest.metrics import METRIC_KEYS

DEFAULT_OBJECTIVE = "sharpe"
DEFAULT_MIN_TRADES = 10
OBJECTIVES = tuple(k for k in METRIC_KEYS if k not in ("start", "end"))


def check_objective(name: str) -> str:
    key = (name or DEFAULT_OBJECTIVE).strip()
    if key not in OBJECTIVES:
        raise RbtsError(f"--objective {key}: not a numeric metrics.json key (one of {', '.join(OBJECTIVES)})")
    return key


@dataclass(frozen=True)
class Ranking:
    objective: str = DEFAULT_OBJECTIVE
    min_trades: int = DEFAULT_MIN_TRADES

    def value(self, row: Mapping) -> float | None:
        """The row's objective, or None when it failed or its metric is undefined."""
        if row.get("status") != "ok":
            return None
        value = row.get(self.objective)
        return None if value is None or value != value else float(value)

    def qualifies(self, row: Mapping) -> bool:
        return row.get("status") == "ok" and int(row.get("trades") or 0) >= self.min_trades

    def key(self, row: Mapping) -> tuple:
        """Sort key: the best row sorts first."""
        if row.get("status") != "ok":
            return (4, 0.0, row["variant"])
        value = self.value(row)
        tier = 0 if self.qualifies(row) else 2
        if value is None:
            return (tier + 1, 0.0, row["variant"])
        return (tier, -value, row["variant"])

    def best(self, rows: Iterable[Mapping]) -> Mapping | None:
        """The best ok row, or None when no row is ok."""
        ok = [r for r in rows if r.get("status") == "ok"]
        return min(ok, key=self.key) if ok else None

    def sort(self, rows: Iterable[Mapping]) -> list[Mapping]:
        return sorted(rows, key=self.key)


def check_min_trades(value: int | None) -> int:
    if value is None:
        return DEFAULT_MIN_TRADES
    if value < 0:
        raise RbtsError(f"--min-trades must be 0 or more, got {value}")
    return int(value)
