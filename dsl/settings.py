"""A strategy's settings with every default resolved (SPEC §2.1).

The AST keeps ``None`` for settings the user did not write; everything that
runs a strategy (compiler, backtest, live bot, JSON form) reads this instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DEFAULT_CAPITAL = 10_000.0
DEFAULT_BARS_SECONDS = 60
DEFAULT_LIMIT_OFFSET = 0.0005  # 0.05 %
DEFAULT_TTL_CYCLES = 1


@dataclass(frozen=True)
class ResolvedOrder:
    kind: Literal["limit", "market"] = "limit"
    offset: float = DEFAULT_LIMIT_OFFSET  # fraction: limit = close * (1 +/- offset)
    ttl_seconds: int | None = None  # limit orders: good-till-date after this many seconds


@dataclass(frozen=True)
class ResolvedSettings:
    name: str
    universe: tuple[str, ...]
    capital: float = DEFAULT_CAPITAL
    cycle_seconds: int = DEFAULT_BARS_SECONDS
    bars_seconds: int = DEFAULT_BARS_SECONDS
    sizing_kind: Literal["equal", "percent", "fixed"] = "equal"
    sizing_value: float | None = None  # percent: fraction of equity; fixed: USD
    order: ResolvedOrder = field(default_factory=ResolvedOrder)
    max_daily_loss: float | None = None  # fractions, e.g. 0.02
    stop_loss: float | None = None
    take_profit: float | None = None
    trailing_stop: float | None = None
    broker_stop: float | None = None  # a resting GTC stop at this fraction below the average entry
    fees: float = 0.0  # fraction of notional per fill
    # Symbols used by the rules but not in the universe: subscribed as data only, never traded.
    data_symbols: tuple[str, ...] = ()
    # Settings that took their default (not written by the user).
    defaulted: tuple[str, ...] = ()

    @property
    def symbols(self) -> tuple[str, ...]:
        """Every symbol the strategy needs bars for (universe first)."""
        return self.universe + tuple(s for s in self.data_symbols if s not in self.universe)

    def allocation(self, equity: float) -> float:
        """USD to allocate to one new entry, before the free-cash cap."""
        if self.sizing_kind == "equal":
            return equity / max(1, len(self.universe))
        if self.sizing_kind == "percent":
            return equity * float(self.sizing_value or 0.0)
        return float(self.sizing_value or 0.0)
