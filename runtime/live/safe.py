"""``SafeModeStrategy``: what runs when no valid rule strategy may trade.

It has the rule strategy's id, so it adopts the open positions and can close
them (flatten), but it never opens anything.  Keeping one strategy instance
under that id at all times makes every swap the same operation.
"""

from __future__ import annotations

from nautilus_trader.config import StrategyConfig
from nautilus_trader.trading.strategy import Strategy


class SafeModeConfig(StrategyConfig, frozen=True, kw_only=True):
    flatten_on_start: bool = False


class SafeModeStrategy(Strategy):
    def __init__(self, config: SafeModeConfig) -> None:
        super().__init__(config)
        self._flatten = config.flatten_on_start

    def on_start(self) -> None:
        if self._flatten:
            self.flatten()

    def flatten(self) -> None:
        """Cancel this strategy's working orders and close its positions at market."""
        for order in self.cache.orders_open(strategy_id=self.id):
            self.cancel_order(order)
        for position in self.cache.positions_open(strategy_id=self.id):
            self.close_position(position)
