"""A small real strategy plugin for the live service tests (``RBTS_LIVE_PLUGIN=toy_plugin``).

A toy strategy file is JSON: ``{"toy": 1, "name": "...", "universe": ["AAPL"], "every": 5,
"qty": 10, "resting": true}``.  Every ``every`` bars of a symbol it buys ``qty`` at a
marketable limit when flat, else sells its position at market; with ``resting`` it also
keeps one far-away buy limit working (so a swap has something to cancel).  It publishes a
CycleRecord per bar like RuleStrategy does.  Faults for the apply tests: ``"fail_on_start":
true`` raises in ``on_start``; ``"max_starts": N`` raises when that version starts more than
N times in the bot's process.
"""

from __future__ import annotations

import json

from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import BarType
from nautilus_trader.model.enums import OrderSide, TimeInForce
from nautilus_trader.trading.strategy import Strategy

from rbts.compiler.protocol import CycleResult, RuleState
from rbts.dsl.errors import Diagnostic, RbtsError, Span
from rbts.dsl.settings import ResolvedSettings
from rbts.runtime.strategy.recorder import CycleRecord
from rbts.runtime.live.program import ORDER_ID_TAG, STRATEGY_ID, StrategySpec


def load_text(text: str, filename: str | None = None) -> StrategySpec:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RbtsError(Diagnostic(f"invalid JSON: {exc.msg}", Span.point(exc.lineno, exc.colno)),
                        filename=filename, source=text) from None
    if not isinstance(data, dict) or data.get("toy") != 1 or not data.get("universe"):
        raise RbtsError(Diagnostic("not a toy strategy (needs toy: 1 and a universe)", Span.point(1, 1)),
                        filename=filename, source=text)
    settings = ResolvedSettings(name=data.get("name", "toy"), universe=tuple(data["universe"]),
                                capital=float(data.get("capital", 10_000)))
    return StrategySpec(settings.name, settings, json.dumps(data, indent=2) + "\n", None, data)


class ToyConfig(StrategyConfig, frozen=True, kw_only=True):
    bar_types: list[str]
    every: int = 5
    qty: int = 10
    resting: bool = True
    name: str = "toy"
    fail_on_start: bool = False
    max_starts: int = 0  # 0: no limit


STARTS: dict[str, int] = {}  # version name -> starts in this process


class ToyStrategy(Strategy):
    def __init__(self, config: ToyConfig, publish=None) -> None:
        super().__init__(config)
        self._cfg = config
        self._publish = publish
        self._count: dict[str, int] = {}

    def on_start(self) -> None:
        STARTS[self._cfg.name] = STARTS.get(self._cfg.name, 0) + 1
        if self._cfg.fail_on_start:
            raise RuntimeError("toy strategy told to fail on start")
        if self._cfg.max_starts and STARTS[self._cfg.name] > self._cfg.max_starts:
            raise RuntimeError(f"toy strategy {self._cfg.name} may start {self._cfg.max_starts} time(s)")
        for bt in self._cfg.bar_types:
            self.subscribe_bars(BarType.from_str(bt))

    def on_stop(self) -> None:
        for order in self.cache.orders_open(strategy_id=self.id):
            self.cancel_order(order)
        for bt in self._cfg.bar_types:
            self.unsubscribe_bars(BarType.from_str(bt))

    def on_bar(self, bar) -> None:
        iid = bar.bar_type.instrument_id
        key = str(iid)
        n = self._count[key] = self._count.get(key, 0) + 1
        instrument = self.cache.instrument(iid)
        if self._cfg.resting and not self.cache.orders_open(instrument_id=iid, strategy_id=self.id):
            far = instrument.make_price(float(bar.close) * 0.5)
            self.submit_order(self.order_factory.limit(iid, OrderSide.BUY, instrument.make_qty(1), far,
                                                       time_in_force=TimeInForce.GTC))
        fire = n % self._cfg.every == 0
        if fire:
            position = next(iter(self.cache.positions_open(instrument_id=iid, strategy_id=self.id)), None)
            if position is None:
                price = instrument.make_price(float(bar.close) * 1.001)
                self.submit_order(self.order_factory.limit(iid, OrderSide.BUY, instrument.make_qty(self._cfg.qty),
                                                           price, time_in_force=TimeInForce.GTC))
            else:
                self.close_position(position)
        if self._publish is not None:
            sym = iid.symbol.value
            state = RuleState.TRUE if fire else RuleState.FALSE
            result = CycleResult(bar.ts_event, {"always": RuleState.TRUE}, {sym: {"every_n": state}},
                                 {sym: {"never": RuleState.FALSE}}, {sym: {"close": float(bar.close)}})
            self._publish("rbts.cycle", CycleRecord(bar.ts_event, 0.0, 0.0, {}, result))


def build(spec: StrategySpec, ctx):
    data = spec.checked
    bar_types = [f"{ctx.instrument_id(s)}-1-MINUTE-LAST-EXTERNAL" for s in spec.settings.universe]
    config = ToyConfig(strategy_id=STRATEGY_ID, order_id_tag=ORDER_ID_TAG, bar_types=bar_types,
                       every=int(data.get("every", 5)), qty=int(data.get("qty", 10)),
                       resting=bool(data.get("resting", True)), name=ctx.version,
                       fail_on_start=bool(data.get("fail_on_start", False)),
                       max_starts=int(data.get("max_starts", 0)))
    return ToyStrategy(config, ctx.publish)
