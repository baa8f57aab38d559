"""An independent, slow re-simulation of the pre-screen's portfolio (for property tests).

Written as RuleStrategy reads, one cycle at a time with dicts, using the order rules
RuleStrategy itself calls (runtime/strategy/orders.py), pandas frames for prices and
Decimal cents for cash and commissions (as Nautilus' Money).  It shares no code with
runtime/prescreen/portfolio.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from rbts.dsl.settings import ResolvedSettings
from rbts.runtime.strategy import orders

CENT = Decimal("0.01")


@dataclass
class Trade:
    ticker: str
    entry_cycle: int
    qty: int
    entry_price: float
    entry_fee: Decimal
    exit_cycle: int = -1
    exit_price: float | None = None
    pnl: float | None = None
    reason: str = ""


@dataclass
class Outcome:
    trades: list[Trade] = field(default_factory=list)
    daily: dict[int, float] = field(default_factory=dict)  # day index -> equity at its last cycle
    invested_cycles: int = 0


def _money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def resimulate(settings: ResolvedSettings, closes: pd.DataFrame, peaks: pd.DataFrame, days: pd.Series,
               enter: pd.DataFrame, leave: pd.DataFrame, precision: int = 2) -> Outcome:
    """closes/peaks/enter/leave: frames indexed by cycle number, a column per ticker; ``days``: the
    day index of each trading cycle (the index of ``days`` lists the trading cycles)."""
    fee = Decimal(str(settings.fees))
    cash = _money(Decimal(str(settings.capital)))
    open_: dict[str, Trade] = {}
    high: dict[str, float] = {}
    out = Outcome()
    session, halted, start_equity, last_equity = None, None, settings.capital, None

    def equity_now(c):
        return float(cash) + sum(t.qty * closes.at[c, s] for s, t in open_.items())

    def sell(c, ticker, reason):
        nonlocal cash
        trade = open_.pop(ticker)
        price = closes.at[c, ticker]
        notional = _money(Decimal(trade.qty) * _dec(price))
        commission = _money(notional * fee)
        cost = _money(Decimal(trade.qty) * _dec(trade.entry_price))
        cash += notional - commission
        trade.exit_cycle, trade.exit_price, trade.reason = c, price, reason
        trade.pnl = float(notional - cost - commission - trade.entry_fee)
        high.pop(ticker, None)

    for c in days.index:
        for ticker in open_:
            if pd.notna(peaks.at[c, ticker]):
                high[ticker] = max(high[ticker], peaks.at[c, ticker])
        equity = equity_now(c)
        if days[c] != session:
            session = days[c]
            start_equity = last_equity if last_equity is not None else equity
        if halted != session and orders.daily_loss_breached(settings, start_equity, equity):
            halted = session
            for ticker in list(open_):
                sell(c, ticker, "max_daily_loss")
        if halted != session:
            held = set(open_)
            for ticker in list(open_):
                close = closes.at[c, ticker]
                reason = "exit_rule" if leave.at[c, ticker] else orders.risk_exit(
                    settings, open_[ticker].entry_price, high[ticker], close)
                if reason:
                    sell(c, ticker, reason)
            for ticker in closes.columns:
                close = closes.at[c, ticker]
                if ticker in held or not enter.at[c, ticker] or pd.isna(close):
                    continue
                worst = close
                if settings.order.kind == "limit":
                    limit = round(orders.limit_price(close, settings.order.offset, True), precision)  # make_price
                    worst = max(close, limit)
                qty = orders.entry_quantity(settings.allocation(equity), float(cash), close, worst, settings.fees)
                if qty < 1:
                    continue
                notional = _money(Decimal(qty) * _dec(close))
                commission = _money(notional * fee)
                cash -= notional + commission
                open_[ticker] = Trade(ticker, c, qty, close, commission)
                high[ticker] = close
                out.trades.append(open_[ticker])
        last_equity = equity_now(c)
        out.daily[days[c]] = last_equity
        out.invested_cycles += bool(open_)
    return out



def _dec(price) -> Decimal:
    """A price as the decimal it stands for (2.01, not the nearest binary fraction)."""
    return Decimal(repr(float(price)))
