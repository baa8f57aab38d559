"""``StoreMonitor``: the Actor that writes the bot's state into the SQLite state store.

It listens on the message bus (bars for marks, order events for fills, the
strategy's ``rbts.cycle`` / ``rbts.event`` records, the controller's
``rbts.status`` updates) and flushes a snapshot of the cache (positions, orders,
accounts) every ``flush_interval_s`` in one transaction.  It never touches
orders: a broken monitor cannot change what the bot trades.

Nautilus runs timer callbacks (the flush) on its clock's own thread while bus
handlers run on the event loop's thread, so the buffers the handlers fill are
guarded by a lock and taken whole by each flush.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
from nautilus_trader.common.actor import Actor
from nautilus_trader.common.config import ActorConfig
from nautilus_trader.model.data import Bar
from nautilus_trader.model.enums import AggregationSource
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.objects import Price

from rbts.runtime.alerts.summary import SessionSummary
from rbts.runtime.live.feeds import FeedWatch
from rbts.runtime.live.store import StateStore
from rbts.runtime.strategy import decision
from rbts.runtime.strategy.recorder import StrategyEvent
from rbts.dsl.exchange import EXCHANGE_CALENDAR, EXCHANGE_TZ

TOPIC_CYCLE = "rbts.cycle"  # rbts.runtime.strategy.recorder.CycleRecord
TOPIC_EVENT = "rbts.event"  # rbts.runtime.strategy.recorder.StrategyEvent
TOPIC_STATUS = "rbts.status"  # dict of status keys (the controller's view)


class StoreMonitorConfig(ActorConfig, frozen=True, kw_only=True):
    store_path: str
    mode: str
    run: int | None = None  # the run this bot process writes (rbts.runtime.live.store runs)
    resume: dict | None = None  # the checkpoint a resumed run continues from (rbts.runtime.live.resume)
    flush_interval_s: float = 0.5
    calendar: str = EXCHANGE_CALENDAR  # the session summary is written after this exchange's close
    redis_state: str | None = None  # state: redis://HOST:PORT -> the store's view is published there
    trader_id: str = "RBTS-001"


class StoreMonitor(Actor):
    def __init__(self, config: StoreMonitorConfig) -> None:
        super().__init__(config)
        self._cfg = config
        self._store: StateStore | None = None
        self._last_close: dict[str, float] = {}  # instrument id -> last external close
        self._last_bar_ns = 0
        self._day: CycleDay | None = None  # the session day of the latest cycle and its starting equity
        self._realized_shift = 0.0  # realised PnL of the runs before a resumed replay (its account restarts)
        checkpoint = config.resume
        if checkpoint:
            self._day = CycleDay(_ny_day(checkpoint["ts"]), checkpoint["equity"] - checkpoint["day_pnl"],
                                 checkpoint["equity"])
            if config.mode == "replay":  # the account restarted from the checkpoint (rbts.runtime.live.node)
                self._realized_shift = checkpoint["realized_pnl"]
        self._cycles: list = []  # (CycleRecord, CycleMarks) not yet written
        self._first_bar_ns = 0
        self._events: list = []
        self._fills: list[dict] = []
        self._bars: list[tuple] = []  # bars received, not yet written (the Live tab's candles)
        self._status: dict = {}  # the bot's view (controller + monitor)
        self._dirty: set[str] = set()  # keys changed since the last flush (the CLI writes the others)
        self._written_orders: dict[str, tuple] = {}
        self._order_versions: dict[str, str | None] = {}
        self._flushes = 0
        self._lock = threading.Lock()  # the buffers above: bus handlers vs the flush timer's thread
        self._feeds = FeedWatch()  # silent feeds during RTH (guarded by the lock too)
        self._feed_changes: list[tuple[str, str, int, int]] = []  # (went|back, symbol, since, now)
        self._summary = SessionSummary(config.calendar)
        self._redis = None  # SnapshotWriter with state: redis://
        self._redis_error: Exception | None = None

    # --------------------------------------------------------------- lifecycle
    def on_start(self) -> None:
        self._store = StateStore(self._cfg.store_path, run=self._cfg.run)
        if self._cfg.redis_state:
            from rbts.runtime.live.redis_state import SnapshotWriter, parse_state

            self._redis = SnapshotWriter(parse_state(self._cfg.redis_state), self._cfg.trader_id)
        self._status.update(node_status="running", mode=self._cfg.mode, pid=os.getpid(),
                            started=time.time(), run=self._cfg.run)
        self._dirty.update(self._status)
        self.msgbus.subscribe("data.bars.*", self._on_bar)
        self.msgbus.subscribe("events.order.*", self._on_order_event)
        self.msgbus.subscribe(TOPIC_CYCLE, self._on_cycle)
        self.msgbus.subscribe(TOPIC_EVENT, self._on_event)
        self.msgbus.subscribe(TOPIC_STATUS, self._on_status)
        self.clock.set_timer("rbts-monitor-flush", timedelta(seconds=self._cfg.flush_interval_s),
                             callback=lambda _e: self.flush())
        self.flush()

    def on_stop(self) -> None:
        # Nautilus stops actors before strategies: the strategies cancel their working orders after this.
        # The monitor keeps listening (stopping only cancels its timer) and writes the outcome when the
        # node disposes of it (on_dispose), after the strategies' stop and the node's post-stop wait.
        with self._lock:
            self._status.update(node_status="stopped", connected=False)
            self._dirty.update(("node_status", "connected"))
        self.flush()

    def on_dispose(self) -> None:
        """The last write: the orders' final states (cancelled by the strategies' on_stop) and any fill
        that came meanwhile."""
        if self._store is None:
            return  # never started
        self.flush()
        if self._redis is not None:
            self._publish(final=True)
            self._redis.close()
            self._redis = None
        for topic, handler in (("data.bars.*", self._on_bar), ("events.order.*", self._on_order_event),
                               (TOPIC_CYCLE, self._on_cycle), (TOPIC_EVENT, self._on_event),
                               (TOPIC_STATUS, self._on_status)):
            self.msgbus.unsubscribe(topic, handler)

    # ---------------------------------------------------------------- handlers
    def _on_bar(self, bar: Bar) -> None:
        if bar.bar_type.aggregation_source == AggregationSource.EXTERNAL:
            iid = bar.bar_type.instrument_id
            self._last_close[str(iid)] = float(bar.close)
            with self._lock:
                if self._cfg.mode == "replay" and self._last_bar_ns and bar.ts_event > self._last_bar_ns:
                    # replay: check on data time, once every bar of the previous instant is in
                    self._check_feeds_locked(self._last_bar_ns)
                self._feeds.on_bar(_symbol(iid), bar.ts_event)
                self._bars.append(_bar_row(bar))
            self._first_bar_ns = self._first_bar_ns or bar.ts_event
            self._last_bar_ns = max(self._last_bar_ns, bar.ts_event)

    def _on_cycle(self, record) -> None:
        # On the event loop, right when the strategy records the cycle: the marks are the cycle's
        # own, whatever the flush rate (the flush runs later, on the clock's thread).
        marks = self._cycle_marks(record.ts_ns)
        with self._lock:
            self._cycles.append((record, marks))

    def _on_event(self, event) -> None:
        with self._lock:
            self._events.append(event)

    def _on_status(self, status: dict) -> None:
        with self._lock:
            self._status.update(status)
            self._dirty.update(status)
            if "feeds" in status:
                self._feeds.expect(status["feeds"], status.get("cycle_s") or 60)

    def _on_order_event(self, event) -> None:
        if isinstance(event, OrderFilled):
            coid = event.client_order_id.value
            fill = {
                "ts": event.ts_event, "client_order_id": coid, "symbol": _symbol(event.instrument_id),
                "side": event.order_side.name, "qty": float(event.last_qty), "price": float(event.last_px),
                "trade_id": event.trade_id.value,
                "strategy_version": self._order_versions.get(coid, self._status.get("strategy_version")),
            }
            with self._lock:
                self._fills.append(fill)
                self._summary.on_fill(self._now() or event.ts_event, fill["side"])

    # ------------------------------------------------------------------- flush
    def flush(self) -> None:
        store = self._store
        if store is None:
            return
        try:
            with store.transaction():
                self._write(store)
                self._write_bars(store)
            self._flushes += 1
            if self._flushes % 20 == 0:
                with store.transaction():
                    store.prune()
        except Exception as exc:  # the store must never take the bot down
            self._log.error(f"state store write failed: {exc!r}")
        if self._redis is not None:
            self._publish()

    def _publish(self, final: bool = False) -> None:
        """The store's view to Redis for watchers elsewhere; Redis being away never stops the bot."""
        try:
            if final:
                self._redis.write(self._store.view())
            else:
                self._redis.maybe_write(self._store.view)
            self._redis_error = None
        except Exception as exc:
            if self._redis_error is None:  # once per outage, not every flush
                self._log.error(f"publishing the state to Redis failed: {exc!r}")
            self._redis_error = exc

    def _take(self) -> tuple[dict, dict, list, list, list]:
        """The status, its keys changed since the last flush and everything buffered since then (the
        buffers start empty again).  Only changed keys are written: a `last_error` the CLI wrote (a
        refused apply) stays until the bot has something to say about it."""
        with self._lock:
            changed = {k: self._status[k] for k in self._dirty}
            taken = dict(self._status), changed, self._cycles, self._events, self._fills
            self._cycles, self._events, self._fills, self._dirty = [], [], [], set()
        return taken

    def _write_bars(self, store: StateStore) -> None:
        with self._lock:
            bars, self._bars = self._bars, []
        if bars:
            store.add_bars(bars)

    def _check_feeds_locked(self, now: int) -> None:
        went, back = self._feeds.check(now)
        self._feed_changes += [("went", f, self._feeds.silent[f], now) for f in went]
        self._feed_changes += [("back", f, 0, now) for f in back]

    def _write_feeds(self, store: StateStore) -> None:
        """Warn about feeds silent for more than two cycles in RTH (and when they are back)."""
        with self._lock:
            if self._cfg.mode == "ib":  # wall clock: a feed that stopped altogether is noticed too
                self._check_feeds_locked(time.time_ns())
            changes, self._feed_changes = self._feed_changes, []
            silent = {s: _ny(ts) for s, ts in self._feeds.silent.items()}
            cycle_min = self._feeds.cycle_ns / 60e9
            first = "feed_warnings" not in self._status
            self._status["feed_warnings"] = silent
        for change, symbol, since, now in changes:
            if change == "went":
                store.log_event(f"feed silent: no {symbol} bar since {_ny(since)}, more than 2 cycles "
                                f"({2 * cycle_min:g} min) during regular trading hours", level="WARNING",
                                kind="feed_silent", ts=now)
            else:
                store.log_event(f"feed back: {symbol} bars arrive again", kind="feed_silent", ts=now)
        if changes or first:
            store.set_status(feed_warnings=silent)

    def _cycle_marks(self, ts_ns: int) -> CycleMarks:
        equity, cash, unrealized = self._marks()
        day = _ny_day(ts_ns)
        if self._day is None or day != self._day.day:
            # a session starts from the equity at the previous session's last cycle (an overnight gap
            # counts toward the new day), the first one from the equity at its first cycle
            self._day = CycleDay(day, self._day.last_equity if self._day is not None else equity, equity)
        self._day.last_equity = equity
        positions = {_symbol(p.instrument_id): {"qty": float(p.signed_qty), "avg_px": p.avg_px_open}
                     for p in self.cache.positions_open()}
        return CycleMarks(equity, cash, equity - self._day.start_equity, self._realized(equity, unrealized),
                          unrealized, positions)

    def _realized(self, equity: float, unrealized: float) -> float:
        """Everything not explained by open positions, since the first run's start."""
        start = sum(float(m) for a in self.cache.accounts() for m in a.starting_balances().values())
        return equity - unrealized - start + self._realized_shift

    def _write(self, store: StateStore) -> None:
        status, changed, cycles, events, fills = self._take()
        equity, cash, unrealized = self._marks()
        day = self._day
        # Realised = everything not explained by open positions (NETTING positions reset on reopening).
        store.set_status(
            **changed, heartbeat=time.time(), equity=equity, cash=cash,
            unrealized_pnl=unrealized, realized_pnl=self._realized(equity, unrealized),
            session_day=day.day if day is not None else None,
            day_pnl=equity - day.start_equity if day is not None else 0.0,
            last_bar_ts=self._last_bar_ns or None,
        )
        positions = self._positions(set(status.get("exit_only") or ()))
        store.replace_positions(positions)
        store.upsert_orders(self._changed_orders(status.get("strategy_version")))
        if fills:
            store.add_fills(fills)
        version = status.get("strategy_version")
        for record, marks in cycles:
            store.add_cycle(record.ts_ns, _cycle_rows(record.result), version)
            store.add_equity(record.ts_ns, marks.equity, marks.cash, day_pnl=marks.day_pnl,
                             realized_pnl=marks.realized_pnl, unrealized_pnl=marks.unrealized_pnl,
                             positions=marks.positions, version=version, strategy_equity=record.equity)
        if cycles:
            store.set_status(last_cycle_ts=cycles[-1][0].ts_ns)
        summaries = self._due_summaries(cycles, equity, positions)
        for event in sorted([*events, *summaries], key=lambda e: e.ts_ns):  # a summary after its session
            level = "WARNING" if event.kind in ("max_daily_loss", "order_rejected") else "INFO"
            store.log_event(event.message, level=level, kind=event.kind, ts=event.ts_ns)
        self._write_feeds(store)

    def _now(self) -> int:
        """The bot's clock: the wall clock in IB mode, data time (the last bar) in replay."""
        return time.time_ns() if self._cfg.mode == "ib" else self._last_bar_ns

    def _due_summaries(self, cycles: list, equity: float, positions: list[dict]) -> list[StrategyEvent]:
        """After each session's close, one ``summary`` event: day PnL, trades, open positions."""
        now = self._now()
        with self._lock:
            summary = self._summary
            if summary.started_ns is None and now:  # a close before the bot's clock started is not summarised
                summary.started_ns = time.time_ns() if self._cfg.mode == "ib" else self._first_bar_ns - 1
            for record, marks in cycles:  # the equity at each cycle: exact, on data time
                summary.mark(record.ts_ns, marks.equity, exact=True)
            due = summary.due(now) if now else []
            out = [StrategyEvent(close, "summary", None, summary.text(day, positions)) for day, close in due]
            if now:
                summary.mark(now, equity)
        return out

    def _marks(self) -> tuple[float, float, float]:
        cash = 0.0
        for account in self.cache.accounts():
            for money in account.balances_total().values():
                cash += float(money)
        value = unrealized = 0.0
        for pos in self.cache.positions_open():
            last = self._last_close.get(str(pos.instrument_id), pos.avg_px_open)
            value += float(pos.signed_qty) * last
            unrealized += float(pos.signed_qty) * (last - pos.avg_px_open)
        return cash + value, cash, unrealized

    def _positions(self, exit_only: set[str]) -> list[dict]:
        rows = []
        for pos in self.cache.positions_open():
            last = self._last_close.get(str(pos.instrument_id), pos.avg_px_open)
            symbol = _symbol(pos.instrument_id)
            rows.append({
                "symbol": symbol, "instrument_id": str(pos.instrument_id), "exit_only": int(symbol in exit_only),
                "side": pos.side.name, "qty": float(pos.signed_qty), "avg_px": pos.avg_px_open,
                "unrealized_pnl": float(pos.signed_qty) * (last - pos.avg_px_open),
                "realized_pnl": float(pos.realized_pnl) if pos.realized_pnl is not None else 0.0,
            })
        return rows

    def _changed_orders(self, version: str | None) -> list[dict]:
        rows = []
        for order in self.cache.orders():
            coid = order.client_order_id.value
            key = (order.status_string(), float(order.filled_qty))
            if self._written_orders.get(coid) == key:
                continue
            self._written_orders[coid] = key
            self._order_versions.setdefault(coid, version)
            price = getattr(order, "price", None)
            decided_ts, reason = decision.parse(order.tags)
            rows.append({
                "client_order_id": coid, "symbol": _symbol(order.instrument_id), "side": order.side_string(),
                "type": order.type_string(), "qty": float(order.quantity),
                "price": float(price) if isinstance(price, Price) else None, "status": order.status_string(),
                "filled_qty": float(order.filled_qty),
                "avg_px": float(order.avg_px) if order.avg_px else None,
                "strategy_version": self._order_versions[coid], "ts_init": order.ts_init,
                "decided_ts": decided_ts, "reason": reason,
            })
        return rows



@dataclass(frozen=True)
class CycleMarks:
    """The account at one cycle (after the cycle's fills in replay): what its store rows carry."""

    equity: float
    cash: float
    day_pnl: float  # equity - the equity at the previous session's last cycle
    realized_pnl: float
    unrealized_pnl: float
    positions: dict[str, dict[str, float]]  # symbol -> {qty (signed), avg_px}


@dataclass
class CycleDay:
    day: str  # New York date of the session
    start_equity: float
    last_equity: float


def _ny_day(ts_ns: int) -> str:
    return pd.Timestamp(ts_ns, tz="UTC").tz_convert(EXCHANGE_TZ).date().isoformat()


def _ny(ts_ns: int) -> str:
    return pd.Timestamp(ts_ns, tz="UTC").tz_convert(EXCHANGE_TZ).strftime("%Y-%m-%d %H:%M %Z")


def _bar_row(bar: Bar) -> tuple:
    """A received bar as the store's ``bars`` row: symbol, seconds, ts (close, ns), open..volume."""
    seconds = int(bar.bar_type.spec.timedelta.total_seconds())
    return (_symbol(bar.bar_type.instrument_id), seconds, bar.ts_event, float(bar.open), float(bar.high),
            float(bar.low), float(bar.close), float(bar.volume))


def _symbol(instrument_id) -> str:
    from rbts.runtime.data.instruments import symbol_of

    return symbol_of(instrument_id)


def _cycle_rows(result) -> dict[str, dict]:
    """CycleResult -> per symbol (``""`` = global rules) its rule states, values and blockers."""
    rows: dict[str, dict] = {"": {"rules": {k: v.value for k, v in result.global_rules.items()},
                                  "values": result.values.get("", {}), "blocked_by": []}}
    symbols = set(result.entry_rules) | set(result.exit_rules)
    for sym in sorted(symbols):
        rules = {k: v.value for k, v in result.entry_rules.get(sym, {}).items()}
        rules.update({k: v.value for k, v in result.exit_rules.get(sym, {}).items()})
        rows[sym] = {"rules": rules, "values": result.values.get(sym, {}), "blocked_by": result.blocked_by(sym)}
    return rows
