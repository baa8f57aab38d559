"""The contract between the compiler's evaluators and the code that runs them.

``RuleStrategy`` (runtime/backtest) and the live bot drive an
:class:`IncrementalEvaluator`; the UI and ``rbts trace`` read a vectorised
trace.  Both evaluators produce the same :class:`RuleState` per rule and cycle.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol


class RuleState(enum.Enum):
    TRUE = "true"
    FALSE = "false"
    WARMING = "warming"

    @property
    def allows(self) -> bool:
        """A warming rule is false for trading."""
        return self is RuleState.TRUE


# The evaluators keep states as small ints (numpy arrays, hot loops): these codes.
FALSE, TRUE, WARMING = 0, 1, 2
STATES: tuple[RuleState, ...] = (RuleState.FALSE, RuleState.TRUE, RuleState.WARMING)  # by code
STATE_NAMES: tuple[str, ...] = tuple(state.value for state in STATES)  # by code: "false", "true", "warming"


@dataclass(frozen=True)
class CycleResult:
    """Everything decided at one cycle instant ``ts_ns`` (UTC nanoseconds)."""

    ts_ns: int
    global_rules: dict[str, RuleState]
    # symbol -> rule name -> state, for entry and exit rules of the universe
    entry_rules: dict[str, dict[str, RuleState]]
    exit_rules: dict[str, dict[str, RuleState]]
    # symbol -> {canonical text of a let/call -> value or None while warming}; global values under ""
    values: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def enter(self, symbol: str) -> bool:
        """All global rules and all entry rules of the symbol are true."""
        return all(s.allows for s in self.global_rules.values()) and all(
            s.allows for s in self.entry_rules.get(symbol, {}).values()
        )

    def exit_rule(self, symbol: str) -> str | None:
        """The first exit rule of the symbol that is true, else None."""
        for name, state in self.exit_rules.get(symbol, {}).items():
            if state.allows:
                return name
        return None

    def blocked_by(self, symbol: str) -> list[str]:
        """Names of the global/entry rules that stop an entry now (for 'why didn't it trade')."""
        rules = {**self.global_rules, **self.entry_rules.get(symbol, {})}
        return [name for name, state in rules.items() if not state.allows]


class IncrementalEvaluator(Protocol):
    """A per-cycle state machine with no look-ahead by construction.

    The runner feeds every *closed* bar (base bars, and higher-timeframe bars if it
    subscribes to them) through :meth:`on_bar`, then, once every bar stamped at a
    cycle instant has been applied, calls :meth:`evaluate` for that instant.
    """

    def bar_timeframes(self) -> dict[str, tuple[int, ...]]:
        """symbol -> the bar timeframes (seconds) it needs; the base timeframe first."""
        ...

    def is_cycle(self, ts_ns: int) -> bool:
        """Whether a cycle happens at this base-bar close instant."""
        ...

    def on_bar(
        self, symbol: str, timeframe_s: int, ts_ns: int,
        open: float, high: float, low: float, close: float, volume: float,
    ) -> None: ...

    def evaluate(self, ts_ns: int) -> CycleResult: ...
