"""``RuleStrategy``: the one Nautilus strategy that runs any compiled rule program.

It feeds every closed bar to an :class:`~rbts.compiler.protocol.IncrementalEvaluator`,
and at each cycle instant T it evaluates the rules in a time alert at T + ``eval_delay_ns``
(in a backtest 1 ns: after *every* bar stamped T has been applied, whatever the
instrument; Nautilus delivers same-instant bars in timer-name order, so evaluating
inside ``on_bar`` would let a rule see another symbol's previous bar).  Orders follow
SPEC §2.4 and risk SPEC §2.5.  It talks to Nautilus only through the portfolio,
cache, clock and order factory, so the same class runs live.

Orders are submitted with the position id of the position they close (HEDGING OMS:
one position per entry, no per-order NETTING snapshot cost).  Limit orders are GTD
for ``ttl``; the strategy also sets its own alert at the deadline, so that an unfilled
entry is cancelled and an unfilled exit re-sent at market right after the last bar
of the order's life (the venue's own GTD expiry would only run at the next bar).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.enums import AssetClass, OrderSide, TimeInForce
from nautilus_trader.model.identifiers import ClientOrderId, InstrumentId, Venue
from nautilus_trader.trading.strategy import Strategy

from rbts.compiler.protocol import CycleResult, IncrementalEvaluator
from rbts.dsl.errors import RbtsError
from rbts.dsl.settings import ResolvedSettings
from rbts.runtime.strategy import decision
from rbts.runtime.strategy import orders as rules
from rbts.runtime.strategy.broker_stops import BrokerStops, is_broker_stop
from rbts.runtime.strategy.bars import bar_spec, external_bar_type
from rbts.runtime.strategy.config import RuleStrategyConfig
from rbts.runtime.strategy.flatten import Flatten
from rbts.runtime.strategy.recorder import CycleRecord, CycleRecorder, StrategyEvent
from rbts.dsl.exchange import EXCHANGE_TZ

NEW_YORK = ZoneInfo(EXCHANGE_TZ)


class RuleStrategy(Strategy):
    """Runs one rule program (settings + incremental evaluator) on Nautilus."""

    def __init__(
        self,
        config: RuleStrategyConfig,
        settings: ResolvedSettings,
        evaluator: IncrementalEvaluator,
        recorder: CycleRecorder | None = None,
    ) -> None:
        super().__init__(config)
        self._exit_only = frozenset(config.exit_only)
        symbols = settings.symbols + tuple(s for s in config.exit_only if s not in settings.symbols)
        missing = [s for s in symbols if s not in config.instrument_ids]
        if missing:
            raise RbtsError(f"no instrument given for {', '.join(missing)}")
        self.settings = settings
        self.evaluator = evaluator
        self.recorder = recorder if recorder is not None else CycleRecorder()
        self._ids = {s: InstrumentId.from_str(config.instrument_ids[s]) for s in symbols}
        self._symbol_of = {iid: s for s, iid in self._ids.items()}
        self._data_only = (set(config.data_only) | set(settings.data_symbols)) - self._exit_only
        self._tradable: list[str] = []
        self._bar_keys: dict[BarType, tuple[str, int, int]] = {}  # type -> (symbol, seconds, stamp shift ns)
        self._base_s = settings.bars_seconds
        self._last_close: dict[str, float] = {}
        self._peak: dict[str, float] = {}  # symbol -> highest close since entry (trailing stop)
        self._checked_ts = -1  # the latest base-bar instant already checked for a cycle
        self._handlers: list[tuple[str, object]] = []
        self._deadlines: dict[ClientOrderId, int] = {}  # working limit order -> last instant it may fill
        self._ttl_alerts: dict[str, int] = {}  # alert name -> that order's deadline
        self._to_market: set[ClientOrderId] = set()  # exits being cancelled, to be re-sent at market
        self._entry_rule: dict[ClientOrderId, str] = {}
        self._exit_rule: dict[ClientOrderId, str] = {}
        self._exit_position: dict[ClientOrderId, object] = {}  # exit order -> the position it closes
        self.trade_rules: dict[str, tuple[str, str]] = {}  # position id -> (entry rule, exit rule)
        self._session: dt.date | None = None  # New York calendar day of the current cycle
        self._session_end_ns = -1  # the next New York midnight (UTC ns)
        self._session_start_equity = settings.capital  # replaced at the first cycle
        self._halted_session: dt.date | None = None
        self._last_equity: float | None = None
        # Account value beyond the strategy's capital, fixed at its first traded cycle: a bot
        # with `capital: 10000` on a larger account sizes, caps and loss-limits on its own
        # 10,000 (plus its PnL), never on the whole account.  0 in a backtest.
        self._offset: float | None = None
        self._account = None
        self.error: Exception | None = None
        self._stops = BrokerStops(self, settings.broker_stop)
        self._halt_ts = -1  # the cycle at which the breaker tripped (its closes carry it)
        self._breaker = Flatten(self, self._close_for_breaker, lambda: {self._ids[s] for s in self._tradable})

    # ------------------------------------------------------------------ lifecycle

    def on_start(self) -> None:
        timeframes = self.evaluator.bar_timeframes()
        for symbol, iid in self._ids.items():
            instrument = self.cache.instrument(iid)
            if instrument is None:
                raise RbtsError(f"instrument {iid} for {symbol} is not loaded")
            if (symbol in self.settings.universe or symbol in self._exit_only) and symbol not in self._data_only \
                    and instrument.asset_class != AssetClass.INDEX:
                self._tradable.append(symbol)
            for seconds in timeframes.get(symbol) or (self._base_s,):
                shift = seconds * 1_000_000_000 if self.config.bar_ts_is_open else 0
                kind = external_bar_type(iid, seconds)
                self._bar_keys[kind] = (symbol, seconds, shift)
                self.subscribe_bars(kind)
        # One handler per bar type instead of on_bar: looking a Bar's type up in a dict costs
        # ~10 us (BarType hashing and equality), more than everything else done per bar.
        for bar_type, key in self._bar_keys.items():
            topic = f"data.bars.{bar_type}"
            handler = self._bar_handler(*key)
            self.msgbus.unsubscribe(topic, self.handle_bar)
            self.msgbus.subscribe(topic, handler)
            self._handlers.append((topic, handler))
        self._stops.adopt(list(self._open_positions().values()))

    def on_stop(self) -> None:
        # Keep positions (a live reload keeps them) and their broker stops; working orders are cancelled.
        for topic, handler in self._handlers:
            self.msgbus.unsubscribe(topic, handler)
        self._handlers.clear()
        tradable = {self._ids[s] for s in self._tradable}
        for order in self.cache.orders_open(None, None, self.id):
            if order.instrument_id in tradable and not is_broker_stop(order):
                self.cancel_order(order)

    # ------------------------------------------------------------------ bars and cycles

    def on_bar(self, bar: Bar) -> None:
        key = self._bar_keys.get(bar.bar_type)
        if key is not None:
            self._bar_handler(*key)(bar)

    def _bar_handler(self, symbol: str, seconds: int, shift: int):
        """The per-bar path, with everything it needs bound locally (it runs for every bar)."""
        feed = self.evaluator.on_bar
        is_cycle = self.evaluator.is_cycle
        last_close, peak = self._last_close, self._peak
        base = seconds == self._base_s
        delay = self.config.eval_delay_ns

        def handle(bar: Bar) -> None:
            if self.error is not None:  # raised in a timer callback, which Nautilus only logs
                raise self.error
            ts = bar.ts_event + shift
            close = bar.close.as_double()
            feed(symbol, seconds, ts, bar.open.as_double(), bar.high.as_double(), bar.low.as_double(), close,
                 bar.volume.as_double())
            if not base:
                return
            last_close[symbol] = close
            if symbol in peak and close > peak[symbol]:
                peak[symbol] = close
            if ts > self._checked_ts:
                self._checked_ts = ts
                if is_cycle(ts):
                    self.clock.set_time_alert_ns(f"rbts-cycle-{ts}", ts + delay, self._on_cycle_alert)

        return handle

    def _on_cycle_alert(self, event) -> None:
        # The instant comes from the alert's name: on a live clock an alert set in the past
        # fires at once with ts_event = now.
        ts = int(event.name.rsplit("-", 1)[1])
        try:
            self._expire_due(ts)
            result = self.evaluator.evaluate(ts)
            self.run_cycle(ts, result)
        except Exception as exc:
            self._fail(ts, exc)

    def _fail(self, ts: int, exc: Exception) -> None:
        """Keep the error: the next bar re-raises it, which stops a backtest (timer errors are only logged)."""
        if self.error is None:
            self.error = exc
            self.log.error(f"rule evaluation failed: {type(exc).__name__}: {exc}")
            self.recorder.record_event(StrategyEvent(ts, "strategy_error", None, f"{type(exc).__name__}: {exc}"))

    def run_cycle(self, ts: int, result: CycleResult) -> None:
        """Risk first, then exits, then entries; then record the cycle."""
        if ts < self.config.trade_from_ns:
            return  # warm-up: the evaluator has seen this cycle; nothing trades or is recorded
        positions = self._open_positions()
        if self._offset is None:
            self._offset = 0.0
            self._offset = max(0.0, self._marks(positions)[0] - self.settings.capital)
        equity, cash = self._marks(positions)
        self._roll_session(ts, equity)
        if self._halted_session != self._session and rules.daily_loss_breached(
                self.settings, self._session_start_equity, equity):
            self._halt(ts, equity)
        if self._halted_session != self._session:
            working = self._working_orders()
            self._exits(ts, result, positions, working)
            self._entries(ts, result, positions, working, equity)
        self._record_cycle(ts, result)

    def _record_cycle(self, ts: int, result: CycleResult) -> None:
        """The cycle's marks once its orders are placed and, where the venue fills them at once (a
        backtest), filled; a feed that fills later records when it has (see the replay strategy)."""
        positions = self._open_positions()
        equity, cash = self._marks(positions)
        self._last_equity = equity
        held = {s: float(p.quantity) for s, p in positions.items()}
        self.recorder.record_cycle(CycleRecord(ts, equity, cash, held, result))

    # ------------------------------------------------------------------ decisions

    def _exits(self, ts: int, result: CycleResult, positions: dict, working: dict) -> None:
        for symbol, position in positions.items():
            if any(o.side == OrderSide.SELL for o in working.get(symbol, ())) or self._stops.pending_exit(position):
                continue
            close = self._last_close.get(symbol)
            if close is None:
                continue
            reason = result.exit_rule(symbol) or rules.risk_exit(
                self.settings, position.avg_px_open, self._peak.get(symbol, close), close)
            if reason is not None:
                self._sell(ts, symbol, position, reason, close)

    def _entries(self, ts: int, result: CycleResult, positions: dict, working: dict, equity: float) -> None:
        if not all(state.allows for state in result.global_rules.values()):
            return
        order = self.settings.order
        for symbol in self._tradable:
            if symbol in self._exit_only or symbol in positions or working.get(symbol) or not result.enter(symbol):
                continue
            close = self._last_close.get(symbol)
            if close is None:
                continue
            instrument = self.cache.instrument(self._ids[symbol])
            price = instrument.make_price(rules.limit_price(close, order.offset, True)) \
                if order.kind == "limit" else None
            worst = max(close, price.as_double()) if price is not None else close
            qty = rules.entry_quantity(self.settings.allocation(equity), self._free_cash(),
                                       close, worst, self.settings.fees)
            if qty < 1:
                self._event(ts, "entry_skipped", symbol, "not enough free cash for one share",
                            close=close, equity=equity)
                continue
            names = [n for n in result.entry_rules.get(symbol, {})] or list(result.global_rules)
            self._submit(ts, symbol, OrderSide.BUY, qty, price, None, "+".join(names) or "entry")

    def _sell(self, ts: int, symbol: str, position, reason: str, close: float, market: bool = False) -> None:
        order = self.settings.order
        price = None
        if order.kind == "limit" and not market:
            price = self.cache.instrument(position.instrument_id).make_price(
                rules.limit_price(close, order.offset, False))
        self._stops.before_exit(  # the broker stop is cancelled first: both never sell the same shares
            position, lambda: self._submit(ts, symbol, OrderSide.SELL, position.quantity, price, position, reason))

    def note_exit_rule(self, coid: ClientOrderId, rule: str, position_id) -> None:
        """An exit placed by a helper (the broker stop): its fill closes the trade under ``rule``."""
        self._exit_rule[coid] = rule

    def _submit(self, ts: int, symbol: str, side: OrderSide, qty, price, position, rule: str):
        iid = self._ids[symbol]
        if symbol not in self._tradable:  # never an order on a data-only symbol
            raise RbtsError(f"refusing to trade data-only symbol {symbol}")
        quantity = self.cache.instrument(iid).make_qty(qty)
        tags = [decision.tag(ts, rule)]
        if price is None:
            order = self.order_factory.market(iid, side, quantity, tags=tags)
        else:
            deadline = ts + rules.ttl_seconds(self.settings) * 1_000_000_000
            order = self.order_factory.limit(
                iid, side, quantity, price, time_in_force=TimeInForce.GTD,
                expire_time=pd.Timestamp(deadline + self.config.eval_delay_ns, tz="UTC"), tags=tags)
            self._deadlines[order.client_order_id] = deadline
            name = f"rbts-ttl-{order.client_order_id}"
            self._ttl_alerts[name] = deadline
            self.clock.set_time_alert_ns(name, deadline + self.config.eval_delay_ns, self._on_ttl_alert)
        # bookkeeping first: a venue may fill (and close the position) inside submit_order
        if position is None:
            self._entry_rule[order.client_order_id] = rule
        else:
            self._exit_rule[order.client_order_id] = rule
            self._exit_position[order.client_order_id] = position.id
        self.submit_order(order, position_id=position.id if position is not None else None)
        return order

    # ------------------------------------------------------------------ order lifetime

    def _on_ttl_alert(self, event) -> None:
        try:
            self._expire_due(self._ttl_alerts.pop(event.name, event.ts_event - self.config.eval_delay_ns))
        except Exception as exc:
            self._fail(event.ts_event, exc)

    def _expire_due(self, ts: int) -> None:
        """Cancel limit orders whose life ended at or before ``ts``; exits go on at market."""
        for coid, deadline in list(self._deadlines.items()):
            if deadline > ts:
                continue
            del self._deadlines[coid]
            order = self.cache.order(coid)
            if order is None or order.is_closed:
                continue
            if order.side == OrderSide.SELL:
                self._to_market.add(coid)
            self.cancel_order(order)

    def on_order_canceled(self, event) -> None:
        self._stops.on_canceled(event.client_order_id)
        self._resend_exit(event.client_order_id, "cancelled")
        self._breaker.settle()

    def on_order_cancel_rejected(self, event) -> None:
        self._stops.on_cancel_rejected(event.client_order_id)
        self._breaker.on_cancel_rejected(event)

    def on_order_expired(self, event) -> None:
        if self._halted_session != self._session:  # the venue's GTD ran out before our own alert
            self._to_market.add(event.client_order_id)
        self._resend_exit(event.client_order_id, "expired")
        self._breaker.settle()

    def on_order_filled(self, event) -> None:
        self._breaker.settle()  # an order that filled before its cancel: what is left is sold now

    def _resend_exit(self, coid: ClientOrderId, how: str) -> None:
        self._deadlines.pop(coid, None)
        order = self.cache.order(coid)
        position_id = self._exit_position.pop(coid, None)
        if order is None or position_id is None or coid not in self._to_market:
            return  # not an exit, or cancelled on purpose (max_daily_loss, stop)
        self._to_market.discard(coid)
        position = self.cache.position(position_id)
        if position is None or position.is_closed:
            return
        symbol = self._symbol_of[order.instrument_id]
        ts = self.clock.timestamp_ns()
        reason = self._exit_rule.get(coid, "exit")
        self._event(ts, "exit_market", symbol, f"exit limit {how} unfilled; selling at market", rule=reason)
        decided, _ = decision.parse(order.tags)  # the market re-send carries the exit's own cycle
        self._sell(decided or ts, symbol, position, reason, self._last_close.get(symbol, 0.0), market=True)

    def on_order_rejected(self, event) -> None:
        self._event(event.ts_event, "order_rejected", self._symbol_of.get(event.instrument_id),
                    f"order rejected: {event.reason}")
        self._breaker.settle()

    def on_order_denied(self, event) -> None:
        self._event(event.ts_event, "order_denied", self._symbol_of.get(event.instrument_id),
                    f"order denied: {event.reason}")

    def on_position_opened(self, event) -> None:
        symbol = self._symbol_of.get(event.instrument_id)
        self._peak[symbol] = max(self._last_close.get(symbol, 0.0), event.avg_px_open)
        rule = self._entry_rule.pop(event.opening_order_id, "")
        self.trade_rules[str(event.position_id)] = (rule, "")
        self._stops.protect(self.cache.position(event.position_id))

    def on_position_changed(self, event) -> None:
        position = self.cache.position(event.position_id)
        if position is not None and position.is_open:
            self._stops.protect(position)  # the entry filled further: the stop covers every share

    def on_position_closed(self, event) -> None:
        symbol = self._symbol_of.get(event.instrument_id)
        self._peak.pop(symbol, None)
        entry, _ = self.trade_rules.get(str(event.position_id), ("", ""))
        self.trade_rules[str(event.position_id)] = (entry, self._exit_rule.get(event.closing_order_id, ""))
        position = self.cache.position(event.position_id)
        stop = self._stops.stop_of(position) if position is not None else None
        if stop is not None and not stop.is_pending_cancel:
            self.cancel_order(stop)  # closed otherwise (another strategy's flatten): the stop goes too

    # ------------------------------------------------------------------ risk

    def _roll_session(self, ts: int, equity: float) -> None:
        if ts < self._session_end_ns:
            return
        local = dt.datetime.fromtimestamp(ts / 1e9, NEW_YORK)
        day = local.date()
        midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), NEW_YORK)
        self._session_end_ns = int(midnight.timestamp()) * 1_000_000_000
        if day != self._session:
            self._session = day
            self._breaker.stop()  # a breaker's flatten ends with its session
            # equity at the previous session's last cycle (an overnight gap counts toward today's
            # loss); at the first cycle ever, the equity now (in a backtest: the capital; live: the
            # account, which need not equal the strategy's capital)
            self._session_start_equity = self._last_equity if self._last_equity is not None else equity

    def _halt(self, ts: int, equity: float) -> None:
        """Cancel every working order and close every position at market, each position once none of its
        orders works any more (rbts.runtime.strategy.flatten: an exit limit or broker stop that fills while
        its cancel travels is then the only sale)."""
        self._halted_session = self._session
        self._halt_ts = ts
        self._deadlines.clear()
        self._to_market.clear()
        self._stops.drop_pending()  # an exit waiting for its stop's cancel: the breaker's close replaces it
        loss = 1.0 - equity / self._session_start_equity
        self._event(ts, "max_daily_loss", None,
                    f"daily loss {loss:.2%} reached max_daily_loss {self.settings.max_daily_loss:.2%}: "
                    f"orders cancelled, positions closed at market, no entries until the next session",
                    equity=equity, session_start_equity=self._session_start_equity)
        self._breaker.start()

    def _close_for_breaker(self, position) -> None:
        symbol = self._symbol_of[position.instrument_id]
        self._submit(self._halt_ts, symbol, OrderSide.SELL, position.quantity, None, position, "max_daily_loss")

    # ------------------------------------------------------------------ portfolio views

    def _open_positions(self) -> dict:
        out = {}
        for position in self.cache.positions_open(None, None, self.id):
            symbol = self._symbol_of.get(position.instrument_id)
            if symbol is not None:
                out[symbol] = position
        return out

    def _working_orders(self) -> dict[str, list]:
        out: dict[str, list] = {}
        for order in self.cache.orders_open(None, None, self.id) + self.cache.orders_inflight(None, None, self.id):
            if is_broker_stop(order):
                continue  # resting protection, not a decision still working
            out.setdefault(self._symbol_of.get(order.instrument_id), []).append(order)
        return out

    def _cash_account(self):
        if self._account is None:
            venue = self.config.account_venue or (
                self._ids[self._tradable[0]].venue.value if self._tradable else None)
            self._account = self.portfolio.account(Venue(venue)) if venue else None
            if self._account is None:
                accounts = self.cache.accounts()
                self._account = accounts[0] if accounts else None
        return self._account

    def _cash(self) -> float:
        account = self._cash_account()
        if account is None:
            return 0.0
        currency = account.base_currency or account.currencies()[0]
        return account.balance_total(currency).as_double()

    def _marks(self, positions: dict) -> tuple[float, float]:
        """(equity, cash): cash plus every position marked at its last base-bar close."""
        cash = self._cash() - (self._offset or 0.0)
        value = sum(p.signed_qty * self._last_close.get(s, p.avg_px_open) for s, p in positions.items())
        return cash + value, cash

    def _free_cash(self) -> float:
        """Cash not yet spoken for by working buy orders (no leverage, SPEC §2.5)."""
        reserved = 0.0
        for orders in self._working_orders().values():
            for o in orders:
                if o.side == OrderSide.BUY:
                    px = o.price.as_double() if getattr(o, "has_price", False) and o.price is not None \
                        else self._last_close.get(self._symbol_of.get(o.instrument_id), 0.0)
                    reserved += o.leaves_qty.as_double() * px * (1.0 + self.settings.fees)
        return self._cash() - (self._offset or 0.0) - reserved

    def _event(self, ts: int, kind: str, symbol: str | None, message: str, **data) -> None:
        self.log.warning(f"{kind}: {symbol or ''} {message}")
        self.recorder.record_event(StrategyEvent(ts, kind, symbol, message, data))


__all__ = ["RuleStrategy", "RuleStrategyConfig", "bar_spec", "external_bar_type"]
