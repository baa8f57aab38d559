"""``RuleStrategy`` for the live bot: its recorder's cycles and events go onto the message bus.

Replay runs on the wall clock, so Nautilus' INTERNAL time-bar aggregation (driven by
clock timers) cannot build higher timeframes from replayed bars; in replay the
strategy subscribes EXTERNAL higher-timeframe bars instead, which the replay client
aggregates from the catalog exactly as SPEC §2.3 says.  For the same reason replay
cycles and order lifetimes run on data time: the replay client announces each
instant once all its bars are applied (``TOPIC_INSTANT``) and the strategy runs that
instant's cycle then, instead of on wall-clock alerts.
"""

from __future__ import annotations

from nautilus_trader.model.data import BarType
from nautilus_trader.model.enums import AggregationSource

from rbts.runtime.backtest.loading import build_evaluator
from rbts.runtime.backtest.recorder import CycleRecorder
from rbts.runtime.backtest.strategy import RuleStrategy, RuleStrategyConfig, bar_types_for
from rbts.runtime.live.monitor import TOPIC_CYCLE, TOPIC_EVENT
from rbts.runtime.live.program import ORDER_ID_TAG, STRATEGY_ID
from rbts.runtime.live.replay import TOPIC_INSTANT


class LiveRuleStrategy(RuleStrategy):
    """RuleStrategy on a live clock: an alert set in the past (replayed data time is
    behind the wall clock) fires with ``ts_event`` = now, so the instant it stands for
    is read from the alert's name instead."""

    def _on_cycle_alert(self, event) -> None:
        self._cycle(int(event.name.rsplit("-", 1)[1]))

    def _cycle(self, ts: int) -> None:
        try:
            self._expire_due(ts)
            self.run_cycle(ts, self.evaluator.evaluate(ts))
        except Exception as exc:
            self._fail(ts, exc)

    def _on_ttl_alert(self, event) -> None:
        coid = event.name.removeprefix("rbts-ttl-")
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
        super().on_start()
        self.msgbus.subscribe(TOPIC_INSTANT, self._on_instant)

    def on_stop(self) -> None:
        self.msgbus.unsubscribe(TOPIC_INSTANT, self._on_instant)
        super().on_stop()

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
        # A cycle needs a base bar at the instant (SPEC §2.3), as in backtests.
        if self._base_ts == ts and ts > self._cycled_ts and self.evaluator.is_cycle(ts):
            self._cycled_ts = ts
            self._cycle(ts)
            return
        try:
            self._expire_due(ts)
        except Exception as exc:
            self._fail(ts, exc)

    def subscribe_bars(self, bar_type: BarType, *args, **kwargs) -> None:
        if bar_type.is_composite():
            external = BarType(bar_type.instrument_id, bar_type.spec, AggregationSource.EXTERNAL)
            key = self._bar_keys.pop(BarType(bar_type.instrument_id, bar_type.spec, AggregationSource.INTERNAL))
            self._bar_keys[external] = key
            bar_type = external
        super().subscribe_bars(bar_type, *args, **kwargs)


def build(spec, ctx) -> RuleStrategy:
    checked = spec.checked
    settings = spec.settings
    ids = {s: ctx.instrument_id(s) for s in settings.symbols}
    config = RuleStrategyConfig(
        strategy_id=STRATEGY_ID, order_id_tag=ORDER_ID_TAG, instrument_ids=ids,
        data_only=tuple(settings.data_symbols),
        bar_ts_is_open=ctx.mode == "ib",  # IB live bars are stamped at their open
        eval_delay_ns=1 if ctx.mode == "replay" else 2_000_000_000,  # IB bars arrive up to ~1 s late
    )
    recorder = CycleRecorder()
    recorder.subscribe(on_cycle=lambda r: ctx.publish(TOPIC_CYCLE, r), on_event=lambda e: ctx.publish(TOPIC_EVENT, e))
    cls = ReplayRuleStrategy if ctx.mode == "replay" else LiveRuleStrategy
    return cls(config, settings, build_evaluator(checked), recorder)


__all__ = ["LiveRuleStrategy", "ReplayRuleStrategy", "bar_types_for", "build"]
