"""The reference strategy (SPEC §2) written by hand as a plain Nautilus strategy, for the benchmark.

Same rules as examples/vix_ema_cross.rbts, written the way a Nautilus user would:
5-minute INTERNAL bars aggregated by Nautilus, Nautilus EMA indicators, rules in
a time alert at T+1 ns, HEDGING exits by position id, equity/N capped by free
cash, limit at close +/- 0.05 % GTD 5 minutes, max daily loss 2 %.  Also the
empty strategy that only subscribes to the 1-minute bars (the engine's floor).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from zoneinfo import ZoneInfo

import exchange_calendars as xcals
import pandas as pd
from nautilus_trader.config import StrategyConfig
from nautilus_trader.indicators import ExponentialMovingAverage
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import BarType
from nautilus_trader.model.enums import OrderSide, TimeInForce
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy

NY = ZoneInfo("America/New_York")


class HandConfig(StrategyConfig, frozen=True):
    tickers: tuple[str, ...]  # instrument ids
    vix: str
    offset: float = 0.0005
    ttl_s: int = 300
    max_daily_loss: float = 0.02
    capital: float = 10_000.0
    vix_slope_max: float = -0.25  # vix_calm: slope(ema(VIX, 9, 5m), 30m) < this


class EmptyStrategy(Strategy):
    """Subscribes to the 1-minute bars and does nothing: the engine's floor."""

    def __init__(self, bar_types: list[BarType]):
        super().__init__()
        self._types = bar_types

    def on_start(self):
        for bar_type in self._types:
            self.subscribe_bars(bar_type)


class HandEmaCross(Strategy):
    def __init__(self, config: HandConfig):
        super().__init__(config)
        self.ids = [InstrumentId.from_str(i) for i in config.tickers]
        self.vix = InstrumentId.from_str(config.vix)
        self.fast = {i: ExponentialMovingAverage(9) for i in self.ids}
        self.slow = {i: ExponentialMovingAverage(21) for i in self.ids}
        self.prev = {i: None for i in self.ids}
        self.vix_ema = ExponentialMovingAverage(9)
        self.vix_hist: deque = deque(maxlen=7)  # EMA values of the last 7 VIX 5m bars (None while warming)
        self.close: dict[InstrumentId, float] = {}
        self.scheduled = -1
        self.day = None
        self.day_start = config.capital
        self.last_equity = None
        self.halted_day = None
        sessions = xcals.get_calendar("XNYS", start="2024-12-01", end="2026-12-31")
        self.rth = {d.date(): (o.value, c.value) for d, o, c in zip(
            sessions.schedule.index, sessions.schedule["open"], sessions.schedule["close"])}

    def on_start(self):
        for iid in [*self.ids, self.vix]:
            self.subscribe_bars(BarType.from_str(f"{iid}-5-MINUTE-LAST-INTERNAL@1-MINUTE-EXTERNAL"))

    def on_bar(self, bar):
        iid = bar.bar_type.instrument_id
        close = bar.close.as_double()
        self.close[iid] = close
        if iid == self.vix:
            self.vix_ema.update_raw(close)
            self.vix_hist.append(self.vix_ema.value if self.vix_ema.initialized else None)
        else:
            self.fast[iid].update_raw(close)
            self.slow[iid].update_raw(close)
        ts = bar.ts_event
        if ts > self.scheduled:
            self.scheduled = ts
            self.clock.set_time_alert_ns(f"eval-{ts}", ts + 1, self.on_cycle)

    def on_cycle(self, event):
        ts = event.ts_event - 1
        account = self.portfolio.account(self.ids[0].venue)
        positions = {p.instrument_id: p for p in self.cache.positions_open(strategy_id=self.id)}
        cash = account.balance_total(USD).as_double()
        equity = cash + sum(p.quantity.as_double() * self.close[i] for i, p in positions.items())
        day = dt.datetime.fromtimestamp(ts / 1e9, NY).date()
        if day != self.day:
            self.day = day
            if self.last_equity is not None:
                self.day_start = self.last_equity
        if self.halted_day != day and equity <= self.day_start * (1 - self.config.max_daily_loss):
            self.halted_day = day
            for iid in self.ids:
                self.cancel_all_orders(iid)
            for iid, p in positions.items():
                self.submit_order(self.order_factory.market(iid, OrderSide.SELL, p.quantity), position_id=p.id)
        session = self.rth.get(day)
        market_hours = session is not None and session[0] < ts <= session[1]
        v = self.vix_hist
        warming = len(v) < 7 or v[0] is None or v[-1] is None
        vix_calm = None if warming else (v[-1] - v[0]) / 6 < self.config.vix_slope_max
        crosses = {}
        for iid in self.ids:
            f, s = self.fast[iid], self.slow[iid]
            now = (f.value, s.value) if f.initialized and s.initialized else None
            before = self.prev[iid]
            self.prev[iid] = now
            if now is None or before is None:
                crosses[iid] = (None, None)
            else:
                crosses[iid] = (now[0] > now[1] and before[0] <= before[1], now[0] < now[1] and before[0] >= before[1])
        if self.halted_day != day:
            self.trade(ts, positions, equity, market_hours and vix_calm is True, crosses)
        positions = self.cache.positions_open(strategy_id=self.id)
        self.last_equity = account.balance_total(USD).as_double() + sum(
            p.quantity.as_double() * self.close[p.instrument_id] for p in positions)

    def trade(self, ts, positions, equity, globals_ok, crosses):
        working = {o.instrument_id for o in self.cache.orders_open(strategy_id=self.id)}
        expire = pd.Timestamp(ts + self.config.ttl_s * 1_000_000_000 + 1, tz="UTC")
        for iid, p in positions.items():
            if iid not in working and crosses[iid][1]:
                px = self.cache.instrument(iid).make_price(self.close[iid] * (1 - self.config.offset))
                order = self.order_factory.limit(iid, OrderSide.SELL, p.quantity, px, TimeInForce.GTD, expire)
                self.submit_order(order, position_id=p.id)
        if not globals_ok:
            return
        for iid in self.ids:
            if iid in positions or iid in working or not crosses[iid][0]:
                continue
            close = self.close[iid]
            instrument = self.cache.instrument(iid)
            px = instrument.make_price(close * (1 + self.config.offset))
            free = self.portfolio.account(iid.venue).balance_free(USD).as_double()
            qty = min(math.floor(equity / len(self.ids) / close + 1e-9), math.floor(free / px.as_double() + 1e-9))
            if qty >= 1:
                order = self.order_factory.limit(iid, OrderSide.BUY, instrument.make_qty(qty), px, TimeInForce.GTD,
                                                 expire)
                self.submit_order(order)

    def on_order_expired(self, event):
        order = self.cache.order(event.client_order_id)
        if order.side == OrderSide.SELL:
            for p in self.cache.positions_open(instrument_id=order.instrument_id, strategy_id=self.id):
                self.submit_order(self.order_factory.market(p.instrument_id, OrderSide.SELL, p.quantity),
                                  position_id=p.id)
