"""The pre-screen's portfolio simulation: many variants side by side, one loop over cycles (SPEC §6.3).

It follows ``RuleStrategy`` (runtime/strategy/rule_strategy.py) decision for decision,
with one simplification: every order fills at once, at the close the rule saw (the
close of the signal's cycle).  Per cycle, in this order: the session roll and
``max_daily_loss`` (on the equity before any order), exits (an exit rule, then
stop_loss / take_profit / trailing_stop from the entry price and the highest base
close since entry), then entries in universe order, each sized from the equity at the
start of the cycle (``sizing: equal`` / ``N%`` / ``N``) and capped by the cash left
(:func:`rbts.runtime.strategy.orders.entry_quantity`, repeated here for numba).  Cash is
kept in whole cents, as Nautilus' USD cash account keeps it; commissions are the
fee times the notional, rounded half up to the cent, as Nautilus' maker/taker fee model.

What it leaves out (docs/research.md): limit orders that do not fill, ``ttl``, partial
fills when an order is larger than the bar's liquidity, intrabar order.

The loop is compiled with numba (variants run in parallel threads); one variant's
state is a few arrays of length ``tickers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numba
import numpy as np

from rbts.dsl.settings import ResolvedSettings

_EPS = 1e-9  # as rbts.runtime.strategy.orders._EPS
SIZING = {"equal": 0, "percent": 1, "fixed": 2}
# trade log columns and exit reasons
TRADE_FIELDS = ("ticker", "entry_cycle", "exit_cycle", "qty", "entry_price", "exit_price", "pnl", "reason")
REASONS = ("", "exit_rule", "stop_loss", "take_profit", "trailing_stop", "max_daily_loss")
STAT_FIELDS = ("final_equity", "trades", "wins", "win_sum", "loss_sum", "pnl_sum", "invested_cycles", "halts")


@dataclass(frozen=True)
class Market:
    """What the simulation reads per cycle (C cycles, warm-up included) and ticker (T tradable tickers)."""

    tickers: tuple[str, ...]
    cycles: np.ndarray  # (C,) UTC ns
    close: np.ndarray  # (C, T) the last base close at or before the cycle; NaN before the first bar
    peak: np.ndarray  # (C, T) the highest base close in (previous cycle, cycle]; NaN when no bar closed
    day: np.ndarray  # (C,) index of the cycle's New York date among trading days; -1 before `first`
    first: int  # the first trading cycle (earlier cycles only warm the rules up)
    n_days: int
    price_scale: np.ndarray  # (T,) 10 ** price precision (limit prices are rounded to it)


@dataclass(frozen=True)
class Costs:
    """Per-variant settings the simulation needs, as arrays (one entry per variant)."""

    capital: float
    n_universe: int
    sizing: np.ndarray  # int8, SIZING codes
    sizing_value: np.ndarray
    fee: np.ndarray
    fee_e8: np.ndarray  # int64: fee * 1e8, exact for fees of up to 8 decimals
    limit_offset: np.ndarray  # NaN for market orders
    stop_loss: np.ndarray  # NaN for none, likewise below
    take_profit: np.ndarray
    trailing_stop: np.ndarray
    max_daily_loss: np.ndarray

    @classmethod
    def of(cls, settings: list[ResolvedSettings]) -> Costs:
        first = settings[0]
        if any(s.capital != first.capital or len(s.universe) != len(first.universe) for s in settings):
            raise ValueError("variants simulated together must share capital and universe")

        def col(get):
            return np.array([np.nan if get(s) is None else float(get(s)) for s in settings], dtype=np.float64)

        return cls(
            capital=float(first.capital), n_universe=len(first.universe),
            sizing=np.array([SIZING[s.sizing_kind] for s in settings], dtype=np.int8),
            sizing_value=np.nan_to_num(col(lambda s: s.sizing_value)),
            fee=col(lambda s: s.fees), fee_e8=np.array([fee_e8(s.fees) for s in settings], dtype=np.int64),
            limit_offset=col(lambda s: s.order.offset if s.order.kind == "limit" else None),
            stop_loss=col(lambda s: s.stop_loss), take_profit=col(lambda s: s.take_profit),
            trailing_stop=col(lambda s: s.trailing_stop), max_daily_loss=col(lambda s: s.max_daily_loss))

    def take(self, idx: np.ndarray) -> Costs:
        return Costs(self.capital, self.n_universe, *(getattr(self, f)[idx] for f in (
            "sizing", "sizing_value", "fee", "fee_e8", "limit_offset", "stop_loss", "take_profit",
            "trailing_stop", "max_daily_loss")))


def fee_e8(fee: float) -> int:
    """The fee as an integer number of 1e-8 (Nautilus multiplies Decimal(str(fee)))."""
    return int((Decimal(str(fee)) * 100_000_000).to_integral_value())


@dataclass
class SimResult:
    daily: np.ndarray  # (V, D) equity at the last cycle of each trading day
    stats: dict[str, np.ndarray]  # STAT_FIELDS -> (V,)
    trades: list[np.ndarray] | None  # per variant (n, len(TRADE_FIELDS)), when recorded
    trading_cycles: int


def simulate(market: Market, costs: Costs, enter: np.ndarray, leave: np.ndarray, record: bool = False) -> SimResult:
    """Run every variant; ``enter``/``leave`` are bool (V, T, C) arrays of rule truth."""
    n = enter.shape[0]
    cap = (len(market.cycles) - market.first) * len(market.tickers) // 2 + len(market.tickers) + 1 if record else 1
    daily = np.full((n, market.n_days), np.nan)
    stats = np.zeros((n, len(STAT_FIELDS)))
    log = np.zeros((n if record else 1, cap, len(TRADE_FIELDS)))
    counts = np.zeros(n, dtype=np.int64)
    _run(market.close, market.peak, market.day, market.first, market.price_scale,
         np.ascontiguousarray(enter), np.ascontiguousarray(leave),
         costs.capital, costs.n_universe, costs.sizing, costs.sizing_value, costs.fee, costs.fee_e8,
         costs.limit_offset, costs.stop_loss, costs.take_profit, costs.trailing_stop, costs.max_daily_loss,
         record, daily, stats, log, counts)
    trades = [log[v, : counts[v]].copy() for v in range(n)] if record else None
    return SimResult(daily, {f: stats[:, i] for i, f in enumerate(STAT_FIELDS)}, trades,
                     len(market.cycles) - market.first)


@numba.njit(cache=True)
def _quantity(allocation, free_cash, close, worst, fee):
    if close <= 0 or worst <= 0 or allocation <= 0 or free_cash <= 0:
        return 0
    by_allocation = np.floor(allocation / (close * (1.0 + fee)) + _EPS)
    by_cash = np.floor(free_cash / (worst * (1.0 + fee)) + _EPS)
    return int(max(0.0, min(by_allocation, by_cash)))


@numba.njit(cache=True)
def _cents(qty, price):
    return np.int64(np.floor(qty * price * 100.0 + 0.5))


@numba.njit(cache=True)
def _commission(notional_cents, fee_e8):
    return (notional_cents * fee_e8 + 50_000_000) // 100_000_000


@numba.njit(cache=True, parallel=True)
def _run(close, peak, day, first, price_scale, enter, leave, capital, n_universe, sizing, sizing_value, fee,
         fee_e8, limit_offset, stop_loss, take_profit, trailing_stop, max_daily_loss, record, daily, stats,
         log, counts):
    for v in numba.prange(enter.shape[0]):
        slot = np.int64(v) * np.int64(record)
        _one(v, close, peak, day, first, price_scale, enter[v], leave[v], capital, n_universe, sizing[v],
             sizing_value[v], fee[v], fee_e8[v], limit_offset[v], stop_loss[v], take_profit[v], trailing_stop[v],
             max_daily_loss[v], record, daily[v], stats[v], log[slot], counts)


@numba.njit(cache=True)
def _one(v, close, peak, day, first, price_scale, enter, leave, capital, n_universe, sizing, sizing_value, fee,
         fee_e8, limit_offset, stop_loss, take_profit, trailing_stop, max_daily_loss, record, daily, stats, log,
         counts):
    n_cycles, n_tickers = close.shape
    qty = np.zeros(n_tickers, dtype=np.int64)
    entry_px = np.zeros(n_tickers)
    entry_fee = np.zeros(n_tickers, dtype=np.int64)  # cents
    entry_cycle = np.zeros(n_tickers, dtype=np.int64)
    entry_row = np.zeros(n_tickers, dtype=np.int64)
    high = np.zeros(n_tickers)
    held = np.zeros(n_tickers, dtype=np.bool_)
    cash = np.int64(np.floor(capital * 100.0 + 0.5))
    session, halted = -1, -1
    start_equity, last_equity = capital, np.nan
    for c in range(first, n_cycles):
        for t in range(n_tickers):
            if qty[t] > 0 and peak[c, t] > high[t]:
                high[t] = peak[c, t]
        equity = cash / 100.0
        for t in range(n_tickers):
            if qty[t] > 0:
                equity += qty[t] * close[c, t]
        if day[c] != session:
            session = day[c]
            start_equity = last_equity if last_equity == last_equity else equity
        if halted != session and max_daily_loss == max_daily_loss and start_equity > 0 \
                and equity <= start_equity * (1.0 - max_daily_loss):
            halted = session
            stats[7] += 1
            for t in range(n_tickers):
                if qty[t] > 0:
                    cash = _sell(t, c, 5, close[c, t], qty, entry_px, entry_fee, entry_row, cash, fee_e8, stats,
                                 record, log)
        if halted != session:
            for t in range(n_tickers):
                held[t] = qty[t] > 0
            for t in range(n_tickers):
                if qty[t] == 0:
                    continue
                px = close[c, t]
                reason = 0
                if leave[t, c]:
                    reason = 1
                elif stop_loss == stop_loss and px <= entry_px[t] * (1.0 - stop_loss):
                    reason = 2
                elif take_profit == take_profit and px >= entry_px[t] * (1.0 + take_profit):
                    reason = 3
                elif trailing_stop == trailing_stop and px <= high[t] * (1.0 - trailing_stop):
                    reason = 4
                if reason > 0:
                    cash = _sell(t, c, reason, px, qty, entry_px, entry_fee, entry_row, cash, fee_e8, stats,
                                 record, log)
            if sizing == 0:
                allocation = equity / max(1, n_universe)
            elif sizing == 1:
                allocation = equity * sizing_value
            else:
                allocation = sizing_value
            for t in range(n_tickers):
                px = close[c, t]
                if held[t] or not enter[t, c] or px != px:
                    continue
                worst = px
                if limit_offset == limit_offset:
                    limit = np.rint(px * (1.0 + limit_offset) * price_scale[t]) / price_scale[t]  # make_price
                    worst = max(px, limit)
                q = _quantity(allocation, cash / 100.0, px, worst, fee)
                if q < 1:
                    continue
                notional = _cents(q, px)
                commission = _commission(notional, fee_e8)
                cash -= notional + commission
                qty[t], entry_px[t], entry_fee[t], entry_cycle[t], high[t] = q, px, commission, c, px
                if record:
                    row = counts[v]
                    counts[v] += 1
                    entry_row[t] = row
                    log[row, 0], log[row, 1], log[row, 2], log[row, 3] = t, c, -1, q
                    log[row, 4], log[row, 5], log[row, 7] = px, np.nan, 0
        equity = cash / 100.0
        invested = False
        for t in range(n_tickers):
            if qty[t] > 0:
                equity += qty[t] * close[c, t]
                invested = True
        last_equity = equity
        daily[day[c]] = equity
        if invested:
            stats[6] += 1
    stats[0] = last_equity if last_equity == last_equity else capital
    if record:
        for t in range(n_tickers):
            if qty[t] > 0:
                log[entry_row[t], 6] = (qty[t] * (close[n_cycles - 1, t] - entry_px[t])) - entry_fee[t] / 100.0


@numba.njit(cache=True)
def _sell(t, c, reason, px, qty, entry_px, entry_fee, entry_row, cash, fee_e8, stats, record, log):
    """Close ticker t's position at px; returns the new cash (cents) and books the trade."""
    notional = _cents(qty[t], px)
    commission = _commission(notional, fee_e8)
    pnl = (notional - _cents(qty[t], entry_px[t]) - commission - entry_fee[t]) / 100.0
    stats[1] += 1
    stats[5] += pnl
    if pnl > 0:
        stats[2] += 1
        stats[3] += pnl
    elif pnl < 0:
        stats[4] += pnl
    if record:
        row = entry_row[t]
        log[row, 2], log[row, 5], log[row, 6], log[row, 7] = c, px, pnl, reason
    qty[t] = 0
    return cash + notional - commission
