"""``RuleStrategy`` for the live bot: its recorder's cycles and events go onto the message bus.

Warm-up: at start (and after every swap) the strategy requests the history its rules
need (:mod:`rbts.runtime.live.warmup`) for every bar type it uses, as EXTERNAL bars
from the data client, and applies it before any live bar, so it trades warm.

Replay runs on the wall clock, so nothing here relies on Nautilus' INTERNAL time-bar
aggregation (driven by clock timers): the strategy subscribes EXTERNAL bars only
(higher timeframes are built by the evaluator, or aggregated from the catalog by the
replay client exactly as SPEC §2.3 says).  For the same reason replay
cycles and order lifetimes run on data time: the replay client announces each
instant once all its bars are applied (``TOPIC_INSTANT``) and the strategy runs that
instant's cycle then, instead of on wall-clock alerts.
"""

from __future__ import annotations

import asyncio

import pandas as pd
from nautilus_trader.model.data import Bar, BarType

from rbts.runtime.strategy.recorder import CycleRecorder, StrategyEvent
from rbts.runtime.strategy.rule_strategy import RuleStrategy, RuleStrategyConfig, external_bar_type
from rbts.runtime.live.fill_events import fill_event
from rbts.runtime.live.monitor import TOPIC_CYCLE, TOPIC_EVENT
from rbts.runtime.live.preflight import HistoryRequest, Needs
from rbts.runtime.live.program import ORDER_ID_TAG, STRATEGY_ID
from rbts.runtime.live.replay import TOPIC_INSTANT, TOPIC_SETTLED
from rbts.runtime.live.warmup import SESSIONS_PARAM, WarmUp, history_start_ns
from rbts.dsl.exchange import EXCHANGE_TZ


class LiveRuleStrategy(RuleStrategy):
    """RuleStrategy on a live clock, warmed up from history.

    An alert set in the past (replayed data time is behind the wall clock) fires with
    ``ts_event`` = now, so the instant it stands for is read from the alert's name.
    Nautilus fires live alerts on its clock's own thread, while bars reach the evaluator on
    the event loop: the alert only schedules the cycle onto the loop (the evaluator is not
    thread-safe, and a cycle must not interleave with a bar).
    """

    warmup_sessions: int = 1  # sessions of history the rules need (set by build)
    _preloaded: dict | None = None  # history the controller fetched and checked before the swap

    def on_start(self) -> None:
        self._warm: WarmUp | None = None
        self._history_keys: dict[BarType, tuple[str, int, int]] = {}
        self._loop = asyncio.get_event_loop()
        super().on_start()
        self._request_history()

    def _on_loop(self, func, *args) -> None:
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(func, *args)

    # ------------------------------------------------------------------ warm-up
    def needs(self) -> Needs:
        """Its instruments and the warm-up history of every bar type it will use (checked before a swap)."""
        timeframes = self.evaluator.bar_timeframes()
        today = pd.Timestamp.now(tz=EXCHANGE_TZ).date()
        start = self._history_start(pd.Timestamp(history_start_ns(today, self.warmup_sessions), tz="UTC"))
        history = {}
        for symbol, iid in self._ids.items():
            for seconds in timeframes.get(symbol) or (self._base_s,):
                external = external_bar_type(iid, seconds)
                history.setdefault(external, HistoryRequest(external, symbol, start,
                                                            {SESSIONS_PARAM: self.warmup_sessions}))
        return Needs(dict(self._ids), tuple(history.values()))

    def resume_from(self, checkpoint: dict) -> None:
        """Carry on the session of a run that ended (rbts.runtime.live.resume): its starting equity, the
        sizing base (account beyond the strategy's capital) and a breaker that tripped that day."""
        own = checkpoint.get("strategy_equity")
        if own is None:
            return
        self._offset = max(0.0, checkpoint["equity"] - own)
        self._roll_session(checkpoint["ts"], own)
        self._session_start_equity = own - checkpoint["day_pnl"]
        self._last_equity = own
        if checkpoint.get("halted"):
            self._halted_session = self._session

    def preload(self, history: dict) -> None:
        """Start warm with this history (BarType -> bars, each complete up to when it was fetched)."""
        self._preloaded = history

    def _request_history(self) -> None:
        self._history_keys.update(self._bar_keys)  # every bar type is EXTERNAL (runtime.strategy.bars)
        preloaded, self._preloaded = self._preloaded, None
        if preloaded is None:
            requests = [(r.bar_type, r.start, r.params) for r in self.needs().history]
        else:  # only what closed since it was fetched (IB, a swap that took a while)
            requests = [(bt, pd.Timestamp(bars[-1].ts_init + 1, tz="UTC"), {})
                        for bt, bars in preloaded.items() if bars and self._tail_due(bt, bars[-1])]
        self._warm = WarmUp(len(requests))
        for bars in (preloaded or {}).values():
            for bar in bars:
                self.on_historical_data(bar)
        for bar_type, start, params in requests:
            self.request_bars(bar_type, start=start, callback=self._on_history, params=params)
        if not requests:
            self._finish_warm_up()

    def _history_start(self, start):
        return start

    def _tail_due(self, bar_type: BarType, last) -> bool:
        """Whether a bar of this type closed after the last one fetched."""
        seconds = self._history_keys.get(bar_type, (None, self._base_s, 0))[1]
        return self.clock.timestamp_ns() >= last.ts_init + seconds * 1_000_000_000

    def on_historical_data(self, data) -> None:
        if isinstance(data, Bar) and self._warm is not None and not self._warm.done:
            key = self._history_keys.get(data.bar_type)
            if key is not None:
                symbol, seconds, shift = key
                self._warm.add(symbol, seconds, data.ts_event + shift, (
                    data.open.as_double(), data.high.as_double(), data.low.as_double(), data.close.as_double(),
                    data.volume.as_double()))

    def _on_history(self, _request_id) -> None:
        warm = self._warm
        if warm is None or warm.done:
            return
        warm.pending -= 1
        if warm.pending <= 0:
            self._finish_warm_up()

    def _finish_warm_up(self) -> None:
        warm = self._warm
        base = self.settings.bars_seconds
        closes = {}
        for ts, seconds, symbol, ohlcv in warm.history:
            if seconds == base:
                closes[symbol] = (ts, ohlcv[3])
        evaluate = self.evaluator.evaluate
        is_cycle = self.evaluator.is_cycle
        try:
            count = warm.apply(self.evaluator.on_bar, lambda ts: is_cycle(ts), evaluate, base)
        except Exception as exc:
            self._fail(self.clock.timestamp_ns(), exc)
            return
        for symbol, (_ts, close) in closes.items():
            self._last_close.setdefault(symbol, close)
        newest = max((ts for ts, _ in closes.values()), default=None)
        message = (f"warm-up: {count} historical bars applied" if count else
                   "warm-up: no history received; rules warm up on live bars")
        if not count and warm.expired():
            message = "warm-up: history did not arrive in time; rules warm up on live bars"
        self.recorder.record_event(StrategyEvent(newest or self.clock.timestamp_ns(), "warm_up", None, message))
        held, warm.held = warm.held, []
        for handle, bar in held:
            handle(bar)

    def _warming(self) -> bool:
        return self._warm is not None and not self._warm.done

    def _bar_handler(self, symbol: str, seconds: int, shift: int):
        handle = super()._bar_handler(symbol, seconds, shift)

        def handle_live(bar) -> None:
            warm = self._warm
            if warm is not None and not warm.done:
                if not warm.expired():
                    warm.held.append((handle_live, bar))
                    return
                self._finish_warm_up()
            if warm is not None and bar.ts_event + shift <= warm.last.get((symbol, seconds), -1):
                return  # the history already holds it (IB re-sends the last closed bar)
            handle(bar)

        return handle_live

    # ------------------------------------------------------------------ fills
    def on_order_filled(self, event) -> None:
        """Each fill is an event in the store's log (and an alert), with its rule and PnL."""
        coid = event.client_order_id
        rule = self._entry_rule.get(coid) if event.order_side.name == "BUY" else self._exit_rule.get(coid)
        ts = self._checked_ts if self._checked_ts > 0 else event.ts_event  # data time in replay
        self.recorder.record_event(fill_event(self.cache, event, rule, ts))
        super().on_order_filled(event)

    # ------------------------------------------------------------------ cycles
    def _on_cycle_alert(self, event) -> None:
        self._on_loop(self._cycle, int(event.name.rsplit("-", 1)[1]))

    def _cycle(self, ts: int) -> None:
        try:
            self._expire_due(ts)
            self.run_cycle(ts, self.evaluator.evaluate(ts))
        except Exception as exc:
            self._fail(ts, exc)

    def _on_ttl_alert(self, event) -> None:
        self._on_loop(self._ttl_due, event.name.removeprefix("rbts-ttl-"))

    def _ttl_due(self, coid: str) -> None:
        deadline = next((d for c, d in self._deadlines.items() if c.value == coid), None)
        if deadline is not None:
            try:
                self._expire_due(deadline)
            except Exception as exc:
                self._fail(deadline, exc)


class ReplayRuleStrategy(LiveRuleStrategy):
    """RuleStrategy on replayed data: higher timeframes arrive as EXTERNAL bars, and cycles
    and order deadlines run when the replay announces an instant (see the module doc)."""

    def on_start(self) -> None:
        self._base_ts = -1  # the latest instant at which a base bar arrived
        self._cycled_ts = -1
        self._unrecorded: tuple | None = None  # (ts, result) of a cycle waiting for its fills
        super().on_start()
        self.msgbus.subscribe(TOPIC_INSTANT, self._on_instant)
        self.msgbus.subscribe(TOPIC_SETTLED, self._on_settled)

    def on_stop(self) -> None:
        self.msgbus.unsubscribe(TOPIC_INSTANT, self._on_instant)
        self.msgbus.unsubscribe(TOPIC_SETTLED, self._on_settled)
        super().on_stop()

    def _record_cycle(self, ts: int, result) -> None:
        # The Sandbox fills the cycle's orders after the cycle, before the replay announces the
        # instant settled: the marks are taken then (after the fills, as in a backtest).
        self._unrecorded = (ts, result)

    def _on_settled(self, ts: int) -> None:
        pending, self._unrecorded = self._unrecorded, None
        if pending is not None:
            super()._record_cycle(*pending)

    def _history_start(self, start):
        # The wall clock means nothing here: the replay counts the sessions back from its cursor.
        return pd.Timestamp("1990-01-01", tz="UTC")

    def _tail_due(self, bar_type: BarType, last) -> bool:
        return False  # the replay is held during a swap: the checked history is complete

    def _on_cycle_alert(self, event) -> None:
        pass  # wall-clock alerts mean nothing in replay: _on_instant runs the cycle

    def _on_ttl_alert(self, event) -> None:
        pass  # deadlines are checked against data time in _on_instant

    def _bar_handler(self, symbol: str, seconds: int, shift: int):
        handle = super()._bar_handler(symbol, seconds, shift)
        if seconds != self.settings.bars_seconds:
            return handle

        def handle_base(bar) -> None:
            handle(bar)
            self._base_ts = max(self._base_ts, bar.ts_event + shift)

        return handle_base

    def _on_instant(self, ts: int) -> None:
        if self._warming():
            return  # the replay waits for history requests, so this only happens if history timed out
        # A cycle needs a base bar at the instant (SPEC §2.3), as in backtests.
        if self._base_ts == ts and ts > self._cycled_ts and self.evaluator.is_cycle(ts):
            self._cycled_ts = ts
            self._cycle(ts)
            return
        try:
            self._expire_due(ts)
        except Exception as exc:
            self._fail(ts, exc)


def build(spec, ctx) -> RuleStrategy:
    from rbts.compiler.program import compile_strategy
    from rbts.compiler.warmup import warmup_sessions

    settings = spec.settings
    exit_only = tuple(s for s in getattr(ctx, "exit_only", ()) if s not in settings.universe)
    program = compile_strategy(_with_exit_only(spec.checked, exit_only))
    ids = {s: ctx.instrument_id(s) for s in settings.symbols + exit_only}
    config = RuleStrategyConfig(
        strategy_id=STRATEGY_ID, order_id_tag=ORDER_ID_TAG, instrument_ids=ids, exit_only=exit_only,
        data_only=tuple(s for s in settings.data_symbols if s not in exit_only),
        account_venue="IB" if ctx.mode == "ib" else None,  # the IB account id is IB-<account>
        bar_ts_is_open=False,  # replay bars and IB bars (rbts.runtime.ib.clients) are stamped at their close
        eval_delay_ns=1 if ctx.mode == "replay" else 2_000_000_000,  # IB bars arrive up to ~1 s late
    )
    recorder = CycleRecorder()
    recorder.subscribe(on_cycle=lambda r: ctx.publish(TOPIC_CYCLE, r), on_event=lambda e: ctx.publish(TOPIC_EVENT, e))
    cls = ReplayRuleStrategy if ctx.mode == "replay" else LiveRuleStrategy
    strategy = cls(config, settings, program.incremental(), recorder)
    strategy.warmup_sessions = warmup_sessions(program.graph)
    return strategy


def _with_exit_only(checked, symbols: tuple[str, ...]):
    """The checked strategy with ``symbols`` as tickers too, so its per-ticker values and exit rules are
    evaluated for them (the strategy never enters them; sizing keeps its own universe)."""
    if not symbols:
        return checked
    import dataclasses

    s = checked.settings
    settings = dataclasses.replace(s, universe=s.universe + symbols,
                                   data_symbols=tuple(d for d in s.data_symbols if d not in symbols))
    return dataclasses.replace(checked, settings=settings)


__all__ = ["LiveRuleStrategy", "ReplayRuleStrategy", "external_bar_type", "build"]
