"""``LiveController``: hot apply, safe mode, flatten and stop inside the running node.

Exactly one strategy runs under the id ``RuleStrategy-001`` at any time: the
rule strategy of the active version, or :class:`SafeModeStrategy` (no orders).
Every change is the same *swap*, done on the controller's timer:

1. build the new instance first (a strategy that fails to build changes nothing);
2. cancel the old instance's working orders, then stop it (positions are kept);
3. wait until none of its orders is open or in flight (bounded by ``drain_timeout_s``);
4. remove the old instance, drop its order/position event handlers, dispose it;
5. add and start the new one, which adopts the positions (same strategy id).

Commands come from the state store (``rbts apply/flatten/stop``, the UI); a change
of the active strategy file's content also triggers a reload.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import traceback
from datetime import timedelta

from nautilus_trader.common.config import ActorConfig
from nautilus_trader.model.identifiers import StrategyId
from nautilus_trader.trading.controller import Controller

from rbts.dsl.errors import RbtsError
from rbts.runtime.live import program
from rbts.runtime.live.monitor import TOPIC_STATUS
from rbts.runtime.live.registry import Registry, sha256
from rbts.runtime.live.safe import SafeModeConfig, SafeModeStrategy
from rbts.runtime.live.store import StateStore
from rbts.runtime.strategy.broker_stops import is_broker_stop
from rbts.runtime.settings import load_settings


class LiveControllerConfig(ActorConfig, frozen=True, kw_only=True):
    home: str
    store_path: str
    mode: str
    poll_interval_s: float = 0.25
    drain_timeout_s: float = 10.0
    # Set when `rbts live FILE` was given an invalid file: start in safe mode with this reason.
    startup_error: str | None = None
    run: int | None = None  # the run this bot process writes (rbts.runtime.live.store runs)


class LiveController(Controller):
    def __init__(self, trader, config: LiveControllerConfig) -> None:
        super().__init__(trader, config)
        self._cfg = config
        self._settings = load_settings(config.home)
        self._registry = Registry(self._settings.strategies_dir, self._settings.live_dir)
        self._store: StateStore | None = None
        self._current = None  # the running strategy instance
        self._pending = None  # (new instance, status dict, deadline) while draining the old one
        self._active_sha: str | None = None
        self._started = False
        self._was_connected: bool | None = None
        self._bars_seconds = 60  # base bar length of the last strategy loaded (safe mode marks with it)
        self.strategy_id = StrategyId(f"{program.STRATEGY_ID}-{program.ORDER_ID_TAG}")

    def on_start(self) -> None:
        self._store = StateStore(self._cfg.store_path, run=self._cfg.run)
        # Nautilus calls timer callbacks on its clock's own thread; a swap touches strategies,
        # subscriptions and orders, so it runs on the event loop, between bars, not beside them.
        loop = asyncio.get_event_loop()

        def on_timer(_event) -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(self._tick)

        self.clock.set_timer("rbts-controller", timedelta(seconds=self._cfg.poll_interval_s), callback=on_timer)

    def on_stop(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    # -------------------------------------------------------------------- loop
    def _tick(self) -> None:
        if not self._trader.is_running:
            return  # strategies cannot be added while the trader is still starting
        try:
            if self._pending is not None:
                self._continue_swap()
                return
            if not self._started:
                self._started = True
                self._startup()
                return
            self._watch_connection()
            for cmd in self._store.claim_commands():
                self._run_command(cmd)
                if self._pending is not None:
                    return
            active = self._registry.active()
            if active is not None and sha256(active[0]) != self._active_sha:
                self.reload("the active strategy file changed")
        except Exception as exc:  # keep the bot alive; report the bug
            self._log.error(f"controller error: {exc!r}\n{traceback.format_exc()}")
            self._event(f"internal error in the controller: {exc!r}", level="ERROR", kind="error")

    def _startup(self) -> None:
        self._publish(connected=self._connected(), safe_mode=False, safe_reason=None)
        if self._cfg.startup_error:
            self._enter_safe_mode(self._cfg.startup_error)
        elif self._registry.active() is None:
            self._enter_safe_mode("no active strategy: apply one with `rbts apply FILE` or the UI")
        else:
            self.reload("start-up", at_startup=True)

    def _run_command(self, cmd: dict) -> None:
        name = cmd["command"]
        ok, result = True, ""
        if name == "reload":
            ok, result = self.reload("apply", force=True)
        elif name == "flatten":
            self._enter_safe_mode("flattened by user: apply a strategy to trade again", flatten=True)
            result = "flattening: orders cancelled, positions closing at market"
        elif name == "stop":
            self._event("stop requested", kind="control")
            os.kill(os.getpid(), signal.SIGTERM)
        else:
            ok, result = False, f"unknown command {name!r}"
        self._store.finish_command(cmd["id"], ok, result)

    # ------------------------------------------------------------------ reload
    def reload(self, why: str, *, force: bool = False, at_startup: bool = False) -> tuple[bool, str]:
        """Load the active file and swap to it; on any error keep what runs (or go safe at start-up)."""
        active = self._registry.active()
        if active is None:
            return self._reject("no active strategy file", at_startup)
        data, version = active
        digest = sha256(data)
        if digest == self._active_sha and not force:
            return True, "unchanged"
        self._active_sha = digest
        try:
            spec = program.plugin().load_text(data.decode("utf-8"), str(self._registry.active_path))
            label = version.label if version else f"{spec.name} (unregistered {digest[:8]})"
            ctx = program.BuildContext(self._cfg.mode, self._settings, label, self.msgbus.publish)
            strategy = program.plugin().build(spec, ctx)
        except RbtsError as exc:
            return self._reject(exc.render(), at_startup)
        except Exception as exc:
            return self._reject(f"cannot build the strategy: {exc!r}", at_startup)
        self._bars_seconds = spec.settings.bars_seconds
        status = {"feeds": list(spec.settings.symbols), "cycle_s": spec.settings.cycle_seconds,
                  "strategy_name": spec.name, "strategy_version": label, "safe_mode": False,
                  "safe_reason": None, "last_error": None}
        self._event(f"loading {label} ({why})", kind="apply")
        self._begin_swap(strategy, status)
        return True, f"applied {label}"

    def _reject(self, error: str, at_startup: bool) -> tuple[bool, str]:
        self._publish(last_error=error)
        if at_startup or self._current is None:
            self._enter_safe_mode(f"invalid strategy: {error}")
        else:
            self._event(f"strategy rejected, the running version stays: {error}", level="ERROR", kind="apply")
        return False, error

    def _enter_safe_mode(self, reason: str, flatten: bool = False) -> None:
        from rbts.runtime.strategy.rule_strategy import bar_spec

        config = SafeModeConfig(strategy_id=program.STRATEGY_ID, order_id_tag=program.ORDER_ID_TAG,
                                flatten_on_start=flatten, bar_spec=str(bar_spec(self._bars_seconds)))
        self._event(f"safe mode: {reason}", level="WARNING", kind="safe_mode")
        from rbts.runtime.live.monitor import _symbol

        held = sorted({_symbol(p.instrument_id) for p in self.cache.positions_open()})  # safe mode marks these
        self._begin_swap(SafeModeStrategy(config), {"safe_mode": True, "safe_reason": reason,
                                                    "strategy_name": None, "strategy_version": None,
                                                    "feeds": held, "cycle_s": self._bars_seconds})

    # -------------------------------------------------------------------- swap
    def _begin_swap(self, new, status: dict) -> None:
        old = self._current
        if old is not None:
            for order in self.cache.orders_open(strategy_id=self.strategy_id):
                if not is_broker_stop(order):  # a broker stop keeps protecting; the new version adopts it
                    old.cancel_order(order)
            self.stop_strategy(old)
        self._pending = (new, status, time.monotonic() + self._cfg.drain_timeout_s)
        self._continue_swap()

    def _continue_swap(self) -> None:
        new, status, deadline = self._pending
        busy = sum(not is_broker_stop(o) for o in self.cache.orders_open(strategy_id=self.strategy_id)) + \
            self.cache.orders_inflight_count(strategy_id=self.strategy_id)
        if busy and time.monotonic() < deadline:
            return
        if busy:
            self._event(f"{busy} order(s) still open after {self._cfg.drain_timeout_s:.0f}s; "
                        "the new version adopts them", level="WARNING", kind="apply")
        old, self._pending = self._current, None
        if old is not None:
            self._retire(old)
        self.create_strategy(new, start=True)
        self._current = new
        self._publish(**status)
        if not status.get("safe_mode"):
            if isinstance(old, SafeModeStrategy):
                self._event(f"safe mode left: running {status['strategy_version']}", kind="safe_mode")
            self._event(f"running {status['strategy_version']}", kind="apply")

    def _retire(self, old) -> None:
        self._trader.remove_strategy(old.id)
        # remove_strategy leaves the instance's event handlers subscribed (events would reach it twice).
        for topic in (f"events.order.{old.id}", f"events.position.{old.id}"):
            self.msgbus.unsubscribe(topic, old.handle_event)
        old.dispose()

    # ----------------------------------------------------------------- helpers
    def _watch_connection(self) -> None:
        """Publish the connection state; a lost or restored IB connection is also an event."""
        connected = self._connected()
        if connected != self._was_connected and self._was_connected is not None and self._cfg.mode == "ib":
            if connected:
                self._event("connection to IB restored; subscriptions renewed", kind="connection")
            else:
                self._event("connection to IB lost; reconnecting", level="WARNING", kind="connection")
        self._was_connected = connected
        self._publish(connected=connected)

    def _connected(self) -> bool:
        if self._cfg.mode == "ib":
            # Nautilus' clients keep reporting "connected" while the IB socket is down and the
            # IB client reconnects; its own flag tells the truth.
            from nautilus_trader.adapters.interactive_brokers import factories

            clients = list(factories.IB_CLIENTS.values())
            return bool(clients) and all(c._is_ib_connected.is_set() for c in clients)
        try:
            return bool(self._trader._data_engine.check_connected() and self._trader._exec_engine.check_connected())
        except AttributeError:
            return False

    def _publish(self, **status) -> None:
        self.msgbus.publish(TOPIC_STATUS, status)

    def _event(self, message: str, *, level: str = "INFO", kind: str = "info") -> None:
        getattr(self._log, {"ERROR": "error", "WARNING": "warning"}.get(level, "info"))(message)
        if self._store is not None:
            self._store.log_event(message, level=level, kind=kind)
