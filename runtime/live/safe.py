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


class SafeModeConfig(StrategyConfig, frozen=True, kw_only=True):
    flatten_on_start: bool = False
    bar_spec: str = "1-MINUTE-LAST"  # the base bars to mark positions with


class SafeModeStrategy(Strategy):
    def __init__(self, config: SafeModeConfig) -> None:
        super().__init__(config)
        self._flatten = config.flatten_on_start
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

        rule = "flatten" if self.config.flatten_on_start else None  # else a broker stop or a reconciled fill
        self.msgbus.publish(TOPIC_EVENT, fill_event(self.cache, event, rule, event.ts_event))

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
        """Cancel this strategy's working orders and close its positions at market."""
        for order in self.cache.orders_open(strategy_id=self.id):
            self.cancel_order(order)
        for position in self.cache.positions_open(strategy_id=self.id):
            self.close_position(position, tags=[decision.tag(None, "flatten")])  # the Live tab names the cause
