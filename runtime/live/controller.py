"""``LiveController``: hot apply, safe mode, flatten and stop inside the running node.

Exactly one strategy runs under the id ``RuleStrategy-001`` at any time: the rule strategy
of the active version, or :class:`SafeModeStrategy` (no orders).  Every change is the same
*swap* (:class:`Swap`), advanced on the controller's timer:

1. **hold** — build the new instance first (a strategy that fails to build changes nothing);
   a replay is held between two instants for the whole swap (nothing moves meanwhile);
2. **check** — :class:`~rbts.runtime.live.preflight.Preflight`: its instruments, feeds and
   warm-up history in this mode, while the running version still trades.  A failure refuses
   the version: the running one never stopped; the active file names it again;
3. **drain** — cancel the running instance's working orders, stop it (positions are kept),
   wait until none of its orders is open or in flight (bounded by ``drain_timeout_s``);
4. **start** — remove and dispose the old instance, start the new one with the checked
   history (it adopts the positions: same strategy id).  If it still fails, the previous
   version is built and started again, or, if that fails too, safe mode.

Each outcome is published in the status (what runs, ``last_error``), logged as an event and
given to the command that asked (``rbts apply`` exits non-zero on a refusal or a rollback).
Positions in symbols the new version does not trade stay managed *exit-only*: the new
version is built with them as tickers that may only be exited.

Commands come from the state store (``rbts apply/flatten/stop``, the UI); a change of the
active strategy file's content also triggers a reload.
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

from rbts.dsl.load import decode
from rbts.runtime.live import program
from rbts.runtime.live.monitor import TOPIC_STATUS
from rbts.runtime.live.preflight import Preflight
from rbts.runtime.live.reasons import reason_of
from rbts.runtime.live.registry import Registry, sha256
from rbts.runtime.live.store import StateStore
from rbts.runtime.live.swap import Swap, Target, connected, discard, held_outside, safe_strategy, safe_target
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
    resume: dict | None = None  # the checkpoint a resumed run continues from (rbts.runtime.live.resume)


class LiveController(Controller):
    def __init__(self, trader, config: LiveControllerConfig) -> None:
        super().__init__(trader, config)
        self._cfg = config
        self._settings = load_settings(config.home)
        self._registry = Registry(self._settings.strategies_dir, self._settings.live_dir)
        self._store: StateStore | None = None
        self._current = None  # the running strategy instance
        self._running: Target | None = None  # what it runs
        self._swap: Swap | None = None
        self._active_sha: str | None = None
        self._started = False
        self._was_connected: bool | None = None
        self._bars_seconds = 60  # base bar length of the last strategy loaded (safe mode marks with it)
        self._checkpoint = config.resume  # given to the first version built
        # (sha256, ok, result, when) of the last version tried: the answer to an apply sent while it was tried
        self._last_outcome: tuple[str, bool, str, float] | None = None
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

    def on_historical_data(self, data) -> None:
        if self._swap is not None and self._swap.check is not None:
            self._swap.check.on_bar(data)

    # -------------------------------------------------------------------- loop
    def _tick(self) -> None:
        if not self._trader.is_running or self._store is None:
            return  # strategies cannot be added while the trader is still starting
        try:
            if self._swap is not None:
                self._advance()
                return
            if not self._started:
                self._started = True
                self._startup()
                return
            self._watch_connection()
            for cmd in self._store.claim_commands():
                self._run_command(cmd)
                if self._swap is not None:
                    return  # the other commands wait for the swap (they stay pending)
            active = self._registry.active()
            if active is not None and sha256(active[0]) != self._active_sha:
                self.reload("the active strategy file changed")
        except Exception as exc:  # keep the bot alive, never strategy-less; report the bug
            self._internal_error(exc)

    def _startup(self) -> None:
        # the node starts with safe mode under the bot's strategy id, claiming its symbols (node.py)
        self._current = next((s for s in self._trader.strategies() if s.id == self.strategy_id), None)
        self._publish(connected=self._connected(), safe_mode=False, safe_reason=None)
        if self._cfg.startup_error:
            self._enter_safe_mode(self._cfg.startup_error)
        elif self._registry.active() is None:
            self._enter_safe_mode("no active strategy: apply one with `rbts apply FILE` or the UI")
        else:
            self.reload("start-up")

    def _run_command(self, cmd: dict) -> None:
        name = cmd["command"]
        if name == "reload":
            if not self._answer_from_last_swap(cmd, cmd["args"].get("sha256")):
                self.reload("apply", command=cmd["id"])
        elif name == "flatten":
            self._enter_safe_mode("flattened by user: apply a strategy to trade again", flatten=True,
                                  command=cmd["id"])
        elif name == "stop":
            self._store.finish_command(cmd["id"], True, "stopping")
            self._event("stop requested", kind="control")
            os.kill(os.getpid(), signal.SIGTERM)
        else:
            self._store.finish_command(cmd["id"], False, f"unknown command {name!r}")

    # ------------------------------------------------------------------ reload
    def _answer_from_last_swap(self, cmd: dict, wanted: str | None) -> bool:
        """An apply's command whose version the change of the active file already brought in (or refused)
        while the command was on its way: it gets that outcome (the version is not swapped in twice).
        A command sent after that outcome is a new request (the same file applied again after a
        flatten, or after a refusal) and is run."""
        last = self._last_outcome
        if wanted is None or last is None or last[0] != wanted or (cmd.get("created") or 0) > last[3]:
            return False
        self._store.finish_command(cmd["id"], last[1], last[2])
        return True

    def reload(self, why: str, *, command: int | None = None) -> None:
        """Load the active file and start swapping to it; a version that cannot load or build is refused
        at once (at start-up: safe mode).  An apply of the version that runs changes nothing."""
        active = self._registry.active()
        if active is None:
            self._refuse_now("no active strategy file", command)
            return
        data, version = active
        digest = sha256(data)
        running = self._running
        if running is not None and running.data is not None and sha256(running.data) == digest:
            self._active_sha = digest
            if command is not None:
                self._store.finish_command(command, True, f"applied {running.label} (it runs already)")
            return
        if digest == self._active_sha and command is None:
            return
        self._active_sha = digest
        try:
            # the front door's encoding rule (UTF-8, a BOM ignored; a bad byte is an error at its position)
            path = str(self._registry.active_path)
            spec = program.plugin().load_text(decode(data, path), path)
            label = version.label if version else f"{spec.name} (unregistered {digest[:8]})"
            exit_only = held_outside(self.cache, self.strategy_id, spec)
            strategy = self._build(spec, label, exit_only)
            if self._checkpoint is not None and hasattr(strategy, "resume_from"):
                strategy.resume_from(self._checkpoint)
            self._checkpoint = None
        except Exception as exc:
            self._refuse_now(reason_of(exc), command, digest)
            return
        self._bars_seconds = spec.settings.bars_seconds
        status = {"feeds": sorted(set(spec.settings.symbols) | set(exit_only)), "cycle_s": spec.settings.cycle_seconds,
                  "strategy_name": spec.name, "strategy_version": label, "safe_mode": False,
                  "safe_reason": None, "last_error": None, "exit_only": list(exit_only)}
        self._event(f"loading {label} ({why})", kind="apply")
        needs = getattr(strategy, "needs", None)
        check = Preflight(self, self._cfg.mode, needs()) if needs is not None else None
        self._begin(Swap(strategy, Target(status, spec, label, data, exit_only), command, check))

    def _build(self, spec, label: str, exit_only: tuple[str, ...]):
        ctx = program.BuildContext(self._cfg.mode, self._settings, label, self.msgbus.publish, exit_only)
        return program.plugin().build(spec, ctx)

    def _refuse_now(self, error: str, command: int | None, digest: str | None = None) -> None:
        """A version that does not even load or build: nothing was touched."""
        if self._running is None:  # start-up
            self._enter_safe_mode(f"invalid strategy: {error}", command=command, ok=False)
            return
        message = f"strategy rejected, {self._running_label()} keeps running: {error}"
        if digest is not None:
            self._last_outcome = (digest, False, message, time.time())
        self._refused(message, command)

    def _refused(self, message: str, command: int | None) -> None:
        self._publish(last_error=message)
        self._event(message, level="ERROR", kind="apply")
        self._restore_active_file()
        if command is not None:
            self._store.finish_command(command, False, message)

    def _restore_active_file(self) -> None:
        """The active file names what runs again (a restart must not pick up a refused version)."""
        from rbts.runtime.files import atomic_write

        running = self._running
        if running is not None and running.data is not None:
            atomic_write(self._registry.active_path, running.data)
            self._active_sha = sha256(running.data)

    def _enter_safe_mode(self, reason: str, *, flatten: bool = False, command: int | None = None,
                         ok: bool = True) -> None:
        self._event(f"safe mode: {reason}", level="WARNING", kind="safe_mode", ts=self._data_now())
        swap = Swap(safe_strategy(self._bars_seconds, flatten), safe_target(self.cache, reason, self._bars_seconds), command, flatten=flatten)
        if not ok:
            swap.notes.append(f"failed: {reason}")
        self._begin(swap)

    # -------------------------------------------------------------------- swap
    def _begin(self, swap: Swap) -> None:
        self._swap = swap
        gate = self._gate()
        if gate is not None:
            gate.hold()
        self._advance()

    def _advance(self) -> None:
        swap = self._swap
        if swap.phase == "hold":
            gate = self._gate()
            if gate is not None and not gate.held:
                return
            swap.phase = "check"
            if swap.check is not None:
                swap.check.start()
        if swap.phase == "check":
            if swap.check is not None:
                if not swap.check.finished:
                    return
                if swap.check.errors and self._running is None:  # start-up: safe mode says why
                    self._end(swap, False, f"invalid strategy: {swap.target.label} cannot run here: "
                                           f"{swap.check.reason()}")
                    return
                if swap.check.errors:
                    self._end(swap, False, f"{swap.target.label} refused, {self._running_label()} keeps running: "
                                           f"{swap.check.reason()}", refused=True)
                    return
                swap.new.preload(swap.check.history)
            self._stop_current()
            swap.phase, swap.deadline = "drain", time.monotonic() + self._cfg.drain_timeout_s
        if swap.phase == "drain":
            # a broker stop keeps resting across the swap (the new version adopts it): nothing to wait for
            busy = sum(not is_broker_stop(o) for o in self.cache.orders_open(strategy_id=self.strategy_id)) + \
                self.cache.orders_inflight_count(strategy_id=self.strategy_id)
            if busy and time.monotonic() < swap.deadline:
                return
            if busy:
                self._event(f"{busy} order(s) still open after {self._cfg.drain_timeout_s:.0f}s; "
                            "the new version adopts them", level="WARNING", kind="apply")
            self._retire_current()
            self._start_target(swap)

    def _stop_current(self) -> None:
        old = self._current
        if old is not None and old.is_running:
            for order in self.cache.orders_open(strategy_id=self.strategy_id):
                if not is_broker_stop(order):  # a broker stop keeps protecting; the new version adopts it
                    old.cancel_order(order)
            self.stop_strategy(old)

    def _retire_current(self) -> None:
        old, self._current = self._current, None
        if old is not None:
            discard(self._trader, self.msgbus, old, self._log)

    def _start_target(self, swap: Swap) -> None:
        target, prev = swap.target, self._running
        try:
            self._launch(swap.new)
        except Exception as exc:
            self._rollback(swap, reason_of(exc))
            return
        self._running = target
        self._publish(**target.status)
        if target.spec is None:
            self._end(swap, not swap.notes, swap.notes[0] if swap.notes else (
                "flattening: orders cancelled, positions closing at market" if swap.flatten else "safe mode"))
            return
        now = self._data_now()
        if target.exit_only:
            self._event(f"exit-only: {', '.join(target.exit_only)} (held, not in the universe of {target.label}): "
                        "their exit rules, stops, the breaker and flatten still apply; never an entry",
                        level="WARNING", kind="exit_only", ts=now)
        if prev is not None and prev.spec is None:
            self._event(f"safe mode left: running {target.label}", kind="safe_mode", ts=now)
        self._event(f"running {target.label}", kind="apply", ts=now)
        self._end(swap, True, f"applied {target.label}")

    def _launch(self, strategy) -> None:
        """Add and start a strategy; if it does not run afterwards, take it out again and raise."""
        try:
            self.create_strategy(strategy, start=True)
            if not strategy.is_running:
                raise RuntimeError(f"{strategy.id} did not start")
        except Exception:
            discard(self._trader, self.msgbus, strategy, self._log)
            raise
        self._current = strategy

    def _rollback(self, swap: Swap, why: str) -> None:
        """The new version failed after the old one stopped: run the old one again, else safe mode."""
        failed = f"{swap.target.label or 'safe mode'} failed to start ({why})"
        prev = self._running
        if prev is not None and prev.spec is not None:
            try:
                self._launch(self._build(prev.spec, prev.label, held_outside(self.cache, self.strategy_id, prev.spec)))
                self._publish(**{**prev.status, "last_error": f"{failed}; back on {prev.label}"})
                self._end(swap, False, f"{failed}; back on {prev.label}", refused=True)
                return
            except Exception as exc:
                failed += f"; restarting {prev.label} failed too ({reason_of(exc)})"
        self._safe_now(failed)
        self._end(swap, False, f"{failed}; the bot is in safe mode")

    def _safe_now(self, reason: str) -> None:
        """Safe mode at once (nothing runs, or what should run cannot): no check, nothing to drain."""
        self._retire_current()
        self._event(f"safe mode: {reason}", level="ERROR", kind="safe_mode", ts=self._data_now())
        target = safe_target(self.cache, reason, self._bars_seconds)
        self._launch(safe_strategy(self._bars_seconds))
        self._running = target
        self._publish(**{**target.status, "last_error": reason})

    def _end(self, swap: Swap, ok: bool, result: str, *, refused: bool = False) -> None:
        self._swap = None
        if swap.target.data is not None:
            self._last_outcome = (sha256(swap.target.data), ok, result, time.time())
        if refused:
            self._refused(result, swap.command)
        elif swap.command is not None:
            self._store.finish_command(swap.command, ok, result)
        if self._current is None or self._running is None:  # never a bot without a strategy
            self._safe_now(result)
        gate = self._gate()
        if gate is not None:
            gate.release()

    def _internal_error(self, exc: Exception) -> None:
        self._log.error(f"controller error: {exc!r}\n{traceback.format_exc()}")
        message = f"internal error in the controller: {reason_of(exc)}"
        self._event(message, level="ERROR", kind="error")
        swap, self._swap = self._swap, None
        try:
            if self._current is None or not self._current.is_running:
                self._safe_now(message)
            if swap is not None and swap.command is not None:
                self._store.finish_command(swap.command, False, message)
        finally:
            gate = self._gate()
            if gate is not None:
                gate.release()

    # ----------------------------------------------------------------- helpers
    def _gate(self):
        """The replay client (held during a swap); None in IB mode."""
        if self._cfg.mode != "replay":
            return None
        from rbts.runtime.live.replay import ReplayDataClientFactory

        return ReplayDataClientFactory.last

    def _data_now(self) -> int:
        """Data time now, for the events the Live tab marks on its charts (a swap, safe mode): the replay's
        instant (every bar up to it applied, its cycle done); in IB mode the clock (data time is wall time)."""
        gate = self._gate()
        return gate.cursor_ns if gate is not None else self.clock.timestamp_ns()

    def _running_label(self) -> str:
        running = self._running
        return running.label if running is not None and running.label else "safe mode"

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
        return connected(self._trader, self._cfg.mode)

    def _publish(self, **status) -> None:
        self.msgbus.publish(TOPIC_STATUS, status)

    def _event(self, message: str, *, level: str = "INFO", kind: str = "info", ts: int | None = None) -> None:
        """Log and store an event at data time (``ts``, default now: :meth:`_data_now`), so the Live tab's
        equity chart can mark it (a connection lost or restored, a refused apply, an error)."""
        getattr(self._log, {"ERROR": "error", "WARNING": "warning"}.get(level, "info"))(message)
        if self._store is not None:
            self._store.log_event(message, level=level, kind=kind, ts=self._data_now() if ts is None else ts)
