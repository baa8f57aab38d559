"""``RuleStrategy`` for the live bot: its recorder's cycles and events go onto the message bus.

Replay runs on the wall clock, so Nautilus' INTERNAL time-bar aggregation (driven by
clock timers) cannot build higher timeframes from replayed bars; in replay the
strategy subscribes EXTERNAL higher-timeframe bars instead, which the replay client
aggregates from the catalog exactly as SPEC §2.3 says.
"""

from __future__ import annotations

from nautilus_trader.model.data import BarType
from nautilus_trader.model.enums import AggregationSource

from rbts.runtime.backtest.loading import build_evaluator
from rbts.runtime.backtest.recorder import CycleRecorder
from rbts.runtime.backtest.strategy import RuleStrategy, RuleStrategyConfig, bar_types_for
from rbts.runtime.live.monitor import TOPIC_CYCLE, TOPIC_EVENT
from rbts.runtime.live.program import ORDER_ID_TAG, STRATEGY_ID


class LiveRuleStrategy(RuleStrategy):
    """RuleStrategy on a live clock: an alert set in the past (replayed data time is
    behind the wall clock) fires with ``ts_event`` = now, so the instant it stands for
    is read from the alert's name instead."""

    def _on_cycle_alert(self, event) -> None:
        ts = int(event.name.rsplit("-", 1)[1])
        self._expire_due(ts)
        self.run_cycle(ts, self.evaluator.evaluate(ts))

    def _on_ttl_alert(self, event) -> None:
        coid = event.name.removeprefix("rbts-ttl-")
        deadline = next((d for c, d in self._deadlines.items() if c.value == coid), None)
        if deadline is not None:
            self._expire_due(deadline)


class ReplayRuleStrategy(LiveRuleStrategy):
    """RuleStrategy whose higher timeframes arrive as EXTERNAL bars (see the module doc)."""

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
