"""Order decisions of SPEC §2.4/§2.5 as pure functions (no Nautilus objects).

``RuleStrategy`` calls these; keeping them pure keeps the rules readable and
testable on their own.
"""

from __future__ import annotations

import math

from rbts.dsl.settings import ResolvedSettings

# floor() of a ratio that is a whole number in exact arithmetic must not lose a share to rounding
_EPS = 1e-9


def limit_price(close: float, offset: float, buy: bool) -> float:
    """close * (1 + P) for buys, close * (1 - P) for sells."""
    return close * (1.0 + offset) if buy else close * (1.0 - offset)


def entry_quantity(allocation: float, free_cash: float, close: float, worst_price: float, fee: float = 0.0) -> int:
    """Whole shares to buy: ``floor(allocation / close)`` (SPEC §2.4), never more than free cash pays for.

    ``worst_price`` is the most a share can cost (the limit price, or the close for a
    market order): the free-cash cap uses it so that even a fill at the limit cannot
    overdraw the cash account.
    """
    if close <= 0 or worst_price <= 0 or allocation <= 0 or free_cash <= 0:
        return 0
    by_allocation = math.floor(allocation / (close * (1.0 + fee)) + _EPS)
    by_cash = math.floor(free_cash / (worst_price * (1.0 + fee)) + _EPS)
    return max(0, min(by_allocation, by_cash))


def risk_exit(settings: ResolvedSettings, avg_entry: float, peak_close: float, close: float) -> str | None:
    """The per-position risk rule that says "sell" now, if any (from the average entry price)."""
    if settings.stop_loss is not None and close <= avg_entry * (1.0 - settings.stop_loss):
        return "stop_loss"
    if settings.take_profit is not None and close >= avg_entry * (1.0 + settings.take_profit):
        return "take_profit"
    if settings.trailing_stop is not None and close <= peak_close * (1.0 - settings.trailing_stop):
        return "trailing_stop"
    return None


def daily_loss_breached(settings: ResolvedSettings, session_start_equity: float, equity: float) -> bool:
    """Equity has fallen ``max_daily_loss`` below the equity at the start of the session."""
    if settings.max_daily_loss is None or session_start_equity <= 0:
        return False
    return equity <= session_start_equity * (1.0 - settings.max_daily_loss)


def ttl_seconds(settings: ResolvedSettings) -> int:
    """Lifetime of a limit order: the ``ttl`` setting, by default one cycle."""
    return settings.order.ttl_seconds or settings.cycle_seconds
