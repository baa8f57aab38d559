"""``SafeModeStrategy``: what runs when no valid rule strategy may trade.

It has the rule strategy's id, so it adopts the open positions and can close
them (flatten), but it never opens anything.  Keeping one strategy instance
under that id at all times makes every swap the same operation.

It subscribes the base bars of every instrument with an open position (its own or
one reconciled from the broker), so the monitor keeps marking those positions:
equity and PnL stay true while no strategy runs.
"""

from __future__ import annotations

from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import BarType
from nautilus_trader.trading.strategy import Strategy

from rbts.runtime.strategy import decision
from rbts.runtime.strategy.broker_stops import is_broker_stop
from rbts.runtime.strategy.flatten import Flatten


class SafeModeConfig(StrategyConfig, frozen=True, kw_only=True):
    flatten_on_start: bool = False
    bar_spec: str = "1-MINUTE-LAST"  # the base bars to mark positions with


class SafeModeStrategy(Strategy):
    def __init__(self, config: SafeModeConfig) -> None:
        super().__init__(config)
        self._flatten = config.flatten_on_start
        self._flattening = Flatten(self, self._close)
        self._bar_spec = config.bar_spec
        self.marked: list[BarType] = []

    def on_start(self) -> None:
        for position in self.cache.positions_open():
            self._mark(position.instrument_id)
        if self._flatten:
            self.flatten()

    def on_position_opened(self, event) -> None:
        self._mark(event.instrument_id)

    def on_order_filled(self, event) -> None:
        """A flatten's fills go to the store's log (and alerts) like the rule strategy's."""
        from rbts.runtime.live.fill_events import fill_event
        from rbts.runtime.live.monitor import TOPIC_EVENT

        order = self.cache.order(event.client_order_id)
        if order is not None and is_broker_stop(order):
            rule = "broker_stop"
        else:
            rule = "flatten" if self.config.flatten_on_start else None  # else a reconciled fill
        self.msgbus.publish(TOPIC_EVENT, fill_event(self.cache, event, rule, event.ts_event))
        self._flattening.settle()  # an order that filled before its cancel: what is left is sold now

    def on_stop(self) -> None:
        for bar_type in self.marked:
            self.unsubscribe_bars(bar_type)
        self.marked = []

    def _mark(self, instrument_id) -> None:
        bar_type = BarType.from_str(f"{instrument_id}-{self._bar_spec}-EXTERNAL")
        if bar_type not in self.marked and self.cache.instrument(instrument_id) is not None:
            self.subscribe_bars(bar_type)
            self.marked.append(bar_type)

    def flatten(self) -> None:
        """Cancel this strategy's working orders, then close each position at market once none of its
        orders works any more (rbts.runtime.strategy.flatten, the breaker's path too)."""
        self._flattening.start()

    def _close(self, position) -> None:
        self.close_position(position, tags=[decision.tag(None, "flatten")])  # the Live tab names the cause

    def on_order_canceled(self, event) -> None:
        self._flattening.settle()

    def on_order_expired(self, event) -> None:
        self._flattening.settle()

    def on_order_rejected(self, event) -> None:
        self._flattening.settle()

    def on_order_cancel_rejected(self, event) -> None:
        self._flattening.on_cancel_rejected(event)
