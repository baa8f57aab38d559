"""What a strategy swap of the :class:`~rbts.runtime.live.controller.LiveController` works with.

A :class:`Target` is a version to run (or safe mode) with the status that says so; a
:class:`Swap` is one change in progress (hold -> check -> drain -> start).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rbts.runtime.live import program
from rbts.runtime.live.monitor import _symbol
from rbts.runtime.live.preflight import Preflight
from rbts.runtime.live.safe import SafeModeConfig, SafeModeStrategy


@dataclass(frozen=True)
class Target:
    """A version to run (``spec`` None: safe mode) and the status keys that say so."""

    status: dict[str, Any]
    spec: Any = None
    label: str | None = None
    data: bytes | None = None  # the active file's bytes of this version
    exit_only: tuple[str, ...] = ()


@dataclass
class Swap:
    new: Any  # the built strategy instance
    target: Target
    command: int | None = None  # the command to answer when the swap ends
    check: Preflight | None = None
    phase: str = "hold"  # hold -> check -> drain
    deadline: float = 0.0
    flatten: bool = False
    notes: list[str] = field(default_factory=list)


def safe_strategy(bars_seconds: int, flatten: bool = False) -> SafeModeStrategy:
    """No orders; marks held positions with base bars of this size; ``flatten`` closes them at start."""
    from rbts.runtime.strategy.rule_strategy import bar_spec

    return SafeModeStrategy(SafeModeConfig(strategy_id=program.STRATEGY_ID, order_id_tag=program.ORDER_ID_TAG,
                                           flatten_on_start=flatten, bar_spec=str(bar_spec(bars_seconds))))


def safe_target(cache, reason: str, bars_seconds: int) -> Target:
    held = sorted({_symbol(p.instrument_id) for p in cache.positions_open()})  # safe mode marks these
    return Target({"safe_mode": True, "safe_reason": reason, "strategy_name": None, "strategy_version": None,
                   "feeds": held, "cycle_s": bars_seconds, "exit_only": []})


def held_outside(cache, strategy_id, spec) -> tuple[str, ...]:
    """Symbols with an open position of the bot that the version does not trade: exit-only (SPEC §5)."""
    held = {_symbol(p.instrument_id) for p in cache.positions_open(strategy_id=strategy_id)}
    return tuple(sorted(held - set(spec.settings.universe)))


def discard(trader, msgbus, strategy, log) -> None:
    """Take a strategy out of the trader for good: remove (stops it if it runs), drop its event handlers
    (remove_strategy leaves them subscribed: events would reach it twice), dispose."""
    try:
        if strategy.id in {s.id for s in trader.strategies()}:
            trader.remove_strategy(strategy.id)
        for topic in (f"events.order.{strategy.id}", f"events.position.{strategy.id}"):
            msgbus.unsubscribe(topic, strategy.handle_event)
        strategy.dispose()
    except Exception as exc:  # a strategy that failed already: keep going with what can run
        log.error(f"discarding {strategy.id}: {exc!r}")


def connected(trader, mode: str) -> bool:
    """Whether the bot's data and execution clients are connected."""
    if mode == "ib":
        # Nautilus' clients keep reporting "connected" while the IB socket is down and the
        # IB client reconnects; its own flag tells the truth.
        from nautilus_trader.adapters.interactive_brokers import factories

        clients = list(factories.IB_CLIENTS.values())
        return bool(clients) and all(c._is_ib_connected.is_set() for c in clients)
    try:
        return bool(trader._data_engine.check_connected() and trader._exec_engine.check_connected())
    except AttributeError:
        return False
