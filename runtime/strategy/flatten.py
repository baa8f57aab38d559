"""``Flatten``: cancel a strategy's working orders, then close its positions at market.

The one closing path of the breaker (``max_daily_loss``, SPEC §2.5, in
:class:`~rbts.runtime.strategy.rule_strategy.RuleStrategy`) and of `rbts flatten`
(:class:`~rbts.runtime.live.safe.SafeModeStrategy`).

A position is closed only once no order of the strategy on its instrument is working any more
(its cancel answered, or the order filled first).  At a broker a cancel travels: a resting sell
(an exit limit, a broker stop) can fill while its cancel is on the way, and a market sell sent
at the same moment would sell the same shares again.  An entry that fills meanwhile is sold
with the rest, since the close takes the position as it is once everything is settled.  Against
Nautilus' simulated venue cancels are answered at once, so the close goes in the same instant.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

CANCEL_RETRIES = 3


class Flatten:
    """Owned by a strategy, which forwards its order events here (``settle`` / ``on_cancel_rejected``)."""

    def __init__(self, strategy, close: Callable[[object], None],
                 instrument_ids: Callable[[], Collection] | None = None) -> None:
        self._s = strategy
        self._close = close  # sends a market order closing this position (its tags name the cause)
        self._instrument_ids = instrument_ids  # the instruments it may act on (None: all of the strategy's)
        self.active = False
        self._cancel_retries: dict = {}  # order id -> cancels refused while the order still worked

    def start(self) -> None:
        """Cancel every working order, and close the positions that have none working."""
        self.active = True
        for order in self._working():
            if not order.is_pending_cancel:
                self._s.cancel_order(order)
        self.settle()

    def stop(self) -> None:
        """The flatten is over (a new session): nothing more is closed by it."""
        self.active = False
        self._cancel_retries.clear()

    def settle(self) -> None:
        """Close each position whose instrument has no order of the strategy working (the close is
        working from then on, so it is sent once).  Call it on every canceled/expired/rejected/filled order."""
        if not self.active:
            return
        for position in self._s.cache.positions_open(None, None, self._s.id):
            # re-checked per position: a close may fill inside this loop (a backtest's venue answers at once)
            if position.is_open and self._ours(position.instrument_id) and not self._working(position.instrument_id):
                self._close(position)

    def on_cancel_rejected(self, event) -> None:
        """The broker refused a cancel: if the order filled, its fill settles the position; if it still
        works, ask again (up to three times; then it stays working and the position is not sold)."""
        if not self.active:
            return
        order = self._s.cache.order(event.client_order_id)
        tries = self._cancel_retries.get(event.client_order_id, 0)
        if order is not None and order.is_open and not order.is_pending_cancel and tries < CANCEL_RETRIES:
            self._cancel_retries[event.client_order_id] = tries + 1
            self._s.cancel_order(order)

    def _ours(self, instrument_id) -> bool:
        return self._instrument_ids is None or instrument_id in self._instrument_ids()

    def _working(self, instrument_id=None) -> list:
        cache, sid = self._s.cache, self._s.id
        orders = cache.orders_open(None, instrument_id, sid) + cache.orders_inflight(None, instrument_id, sid)
        return [o for o in orders if self._ours(o.instrument_id)]
