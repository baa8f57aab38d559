"""A fill as an event for the store's log (and so an alert): side, quantity, price, rule, PnL."""

from __future__ import annotations

from rbts.runtime.strategy.recorder import StrategyEvent


def fill_event(cache, fill, rule: str | None, ts_ns: int) -> StrategyEvent:
    """``fill`` (an ``OrderFilled``) described for a trader; the position is already updated."""
    from rbts.runtime.data.instruments import symbol_of

    symbol = symbol_of(fill.instrument_id)
    qty, price = float(fill.last_qty), float(fill.last_px)
    data = {"side": fill.order_side.name, "qty": qty, "price": price, "rule": rule or ""}
    why = f" (rule {rule})" if rule else ""
    if getattr(fill, "reconciliation", False):  # a fill reported at start-up (resume, IB), not one just now
        why = " (reconciled at start-up)"
    if fill.order_side.name == "BUY":
        return StrategyEvent(ts_ns, "fill", symbol, f"{symbol} entry filled: bought {qty:g} @ {price:.2f}{why}", data)
    position = cache.position(fill.position_id) if fill.position_id is not None else None
    pnl_text = ""
    if position is not None:
        if position.is_closed and position.realized_pnl is not None:
            pnl = position.realized_pnl.as_double()
            pnl_text = f"; trade PnL {pnl:+,.2f} after fees"
        else:
            pnl = (price - position.avg_px_open) * qty
            pnl_text = f"; PnL {pnl:+,.2f} on this part, before fees"
        data["pnl"] = pnl
    return StrategyEvent(ts_ns, "fill", symbol, f"{symbol} exit filled: sold {qty:g} @ {price:.2f}{why}{pnl_text}",
                         data)
