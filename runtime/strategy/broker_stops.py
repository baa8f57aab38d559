"""``risk: broker_stop P%`` (SPEC §2.5): every position gets a GTC stop order at P% below its
average entry price, resting at the broker, so it is protected while the bot or its
connection is gone.

* placed when a position opens (and resized/re-priced if later fills change it);
* a resting stop is the broker's, not a working decision: the strategy's "is an exit
  working?" and a swap's drain ignore it, and stopping or swapping the strategy keeps it;
* an exit of the strategy (rule, stop_loss, breaker...) first cancels the stop and is sent
  once the cancel is confirmed, so both can never sell the same shares; if the stop filled
  first, the exit is dropped;
* a strategy that starts with open positions adopts the stops it finds (after a swap, or
  reconciled after a restart: a SELL stop-market on the instrument) instead of adding
  another; a version without ``broker_stop`` cancels them.

Backtests and replay run the same code against Nautilus' simulated venue, which triggers
the stop on the bar's range (at the stop price, or at the open if the bar gapped below it).
"""

from __future__ import annotations

from collections.abc import Callable

from nautilus_trader.model.enums import OrderSide, OrderType, TimeInForce

from rbts.runtime.strategy import decision

RULE = "broker_stop"


def is_broker_stop(order) -> bool:
    return order.order_type == OrderType.STOP_MARKET and order.side == OrderSide.SELL


class BrokerStops:
    def __init__(self, strategy, fraction: float | None) -> None:
        self._s = strategy
        self.fraction = fraction
        self._pending: dict = {}  # stop ClientOrderId -> (position id, exit to send once it is cancelled)

    def stop_of(self, position):
        """The open protective stop of ``position``'s instrument, if any."""
        for order in self._s.cache.orders_open(None, position.instrument_id, self._s.id):
            if is_broker_stop(order):
                return order
        return None

    def protect(self, position) -> None:
        """Place, or bring up to date, the stop of an open position."""
        if self.fraction is None or position.is_closed:
            return
        instrument = self._s.cache.instrument(position.instrument_id)
        trigger = instrument.make_price(position.avg_px_open * (1.0 - self.fraction))
        stop = self.stop_of(position)
        if stop is None:
            order = self._s.order_factory.stop_market(  # no cycle decides its fill: the price does
                position.instrument_id, OrderSide.SELL, position.quantity, trigger, time_in_force=TimeInForce.GTC,
                tags=[decision.tag(None, RULE)])
            self._s.note_exit_rule(order.client_order_id, RULE, position.id)
            self._s.submit_order(order, position_id=position.id)
        elif stop.client_order_id not in self._pending and \
                (stop.quantity != position.quantity or stop.trigger_price != trigger):
            self._s.modify_order(stop, quantity=position.quantity, trigger_price=trigger)

    def adopt(self, positions) -> None:
        """At start: keep one stop per open position (placing the missing ones), cancel the rest."""
        held = {p.instrument_id for p in positions}
        for order in self._s.cache.orders_open(None, None, self._s.id):
            if is_broker_stop(order) and (self.fraction is None or order.instrument_id not in held):
                self._s.cancel_order(order)
        for position in positions:
            self.protect(position)

    def before_exit(self, position, send: Callable[[], None]) -> None:
        """Send an exit of ``position``: at once without a stop, else after the stop's cancel."""
        stop = self.stop_of(position)
        if stop is None:
            send()
            return
        if stop.client_order_id in self._pending:
            return  # already cancelling it for an exit
        self._pending[stop.client_order_id] = (position.id, send)
        if not stop.is_pending_cancel:
            self._s.cancel_order(stop)

    def on_canceled(self, coid) -> None:
        position_id, send = self._pending.pop(coid, (None, None))
        if send is not None:
            position = self._s.cache.position(position_id)
            if position is not None and position.is_open:
                send()

    def on_cancel_rejected(self, coid) -> None:
        self._pending.pop(coid, None)  # it filled first: the position is closed, the exit must not go

    def drop_pending(self) -> None:
        """Forget the exits waiting for a stop's cancel (the breaker closes those positions itself)."""
        self._pending.clear()

    def pending_exit(self, position) -> bool:
        return any(pid == position.id for pid, _ in self._pending.values())
