"""Build and run the bot's Nautilus ``TradingNode`` in replay or IB mode.

The node carries two fixed components: the :class:`StoreMonitor` actor (state
store) and the :class:`LiveController` (the strategy swaps).  The strategy
itself is added later by the controller, once the trader runs.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

from rbts.dsl.errors import RbtsError
from rbts.dsl.load import decode
from rbts.runtime.live import program
from rbts.runtime.live.registry import Registry
from rbts.runtime.live.store import StateStore, default_path
from rbts.runtime.settings import Settings

TRADER_ID = "RBTS-001"


@dataclass(frozen=True)
class RunOptions:
    mode: str = "replay"  # "replay" | "ib"
    start: str | None = None  # replay: first streamed day/time (exchange time); default: 30 sessions back
    speed: float = 600.0
    end: str | None = None
    startup_error: str | None = None
    log_level: str = "WARNING"  # console; the JSON log file always gets INFO
    resume: bool = False  # continue from the previous run's last persisted cycle (rbts restart)


def build_node(settings: Settings, options: RunOptions, run: int | None = None, checkpoint=None):
    """The node; ``checkpoint`` (:class:`~rbts.runtime.live.resume.Checkpoint`): what a resumed run
    continues from."""
    from nautilus_trader.common.config import ImportableActorConfig, LoggingConfig
    from nautilus_trader.config import (
        ImportableControllerConfig,
        LiveDataEngineConfig,
        LiveExecEngineConfig,
        LiveRiskEngineConfig,
        TradingNodeConfig,
    )
    from nautilus_trader.live.node import TradingNode

    live_dir = settings.live_dir
    live_dir.mkdir(parents=True, exist_ok=True)
    store_path = str(default_path(live_dir))
    data_clients, exec_clients, factories = _clients(settings, options, checkpoint)
    resume = checkpoint.as_config() if checkpoint is not None else None
    restores = options.mode == "replay" and checkpoint is not None and bool(checkpoint.positions)
    from rbts.runtime.live import redis_state

    redis = redis_state.parse_state(settings.state)
    config = TradingNodeConfig(
        **(redis_state.node_configs(redis, options.mode) if redis is not None else {}),
        trader_id=TRADER_ID,
        logging=LoggingConfig(log_level=options.log_level, log_level_file="INFO", log_directory=str(live_dir),
                              log_file_name="node", log_file_format="json", log_colors=False,
                              # RuleStrategy sets its cycle alerts on data time, which in replay lies in
                              # the past: the clock warns about each one (they fire at once, harmlessly).
                              log_component_levels={"nautilus_common::clock": "ERROR"}
                              if options.mode == "replay" else None),
        data_engine=LiveDataEngineConfig(time_bars_build_with_no_updates=False),
        # IB: positions and orders reconcile with the broker; a resumed replay: with its checkpoint
        exec_engine=LiveExecEngineConfig(reconciliation=options.mode == "ib" or restores),
        # Replay: GTD expiry and fills run on data time inside the Sandbox, not on the wall clock
        # the risk engine would check them against.
        risk_engine=LiveRiskEngineConfig(bypass=options.mode == "replay"),
        data_clients=data_clients,
        exec_clients=exec_clients,
        actors=[ImportableActorConfig(
            actor_path="rbts.runtime.live.monitor:StoreMonitor",
            config_path="rbts.runtime.live.monitor:StoreMonitorConfig",
            config={"store_path": store_path, "mode": options.mode, "run": run, "resume": resume,
                    "calendar": settings.calendar,
                    "redis_state": settings.state if redis is not None else None, "trader_id": TRADER_ID},
        )],
        controller=ImportableControllerConfig(
            controller_path="rbts.runtime.live.controller:LiveController",
            config_path="rbts.runtime.live.controller:LiveControllerConfig",
            config={"home": str(settings.home), "store_path": store_path, "mode": options.mode,
                    "startup_error": options.startup_error, "run": run, "resume": resume},
        ),
        timeout_connection=30.0,
        timeout_disconnection=5.0,
        timeout_post_stop=1.0,
    )
    node = TradingNode(config=config)
    for name, (data_factory, exec_factory) in factories.items():
        if data_factory is not None:
            node.add_data_client_factory(name, data_factory)
        if exec_factory is not None:
            node.add_exec_client_factory(name, exec_factory)
    node.build()
    node.trader.add_strategy(_placeholder(settings, options, checkpoint))  # before start: its claims count
    if options.mode == "replay":
        from rbts.runtime.live.replay import ReplayDataClientFactory

        kernel = node.kernel
        ReplayDataClientFactory.last.watch_engines(kernel.data_engine, kernel.risk_engine, kernel.exec_engine)
    return node


def _placeholder(settings: Settings, options: RunOptions, checkpoint):
    """Safe mode under the bot's strategy id from the start, claiming the symbols it trades or holds:
    positions reconciled at start-up (IB, a resumed replay) belong to the bot's strategy, not to
    Nautilus' EXTERNAL one, so the version the controller starts next manages them."""
    from nautilus_trader.model.identifiers import InstrumentId

    from rbts.runtime.live.safe import SafeModeConfig, SafeModeStrategy

    spec = _active_spec(settings)
    symbols = set(spec.settings.symbols if spec is not None else ()) | set(checkpoint.positions if checkpoint else ())
    ctx = program.BuildContext(options.mode, settings, "", None)
    claims = []
    for symbol in sorted(symbols):
        try:
            claims.append(InstrumentId.from_str(ctx.instrument_id(symbol)))
        except RbtsError:
            continue  # a symbol this home cannot name: the controller refuses the version anyway
    return SafeModeStrategy(SafeModeConfig(strategy_id=program.STRATEGY_ID, order_id_tag=program.ORDER_ID_TAG,
                                           external_order_claims=claims))


def _clients(settings: Settings, options: RunOptions, checkpoint=None):
    if options.mode == "replay":
        return _replay_clients(settings, options, checkpoint)
    if options.mode == "ib":
        return _ib_clients(settings)
    raise RbtsError(f"unknown mode {options.mode!r} (use replay or ib)")


def _replay_clients(settings: Settings, options: RunOptions, checkpoint=None):
    from nautilus_trader.config import RoutingConfig

    from rbts.runtime.live.replay import (
        REPLAY,
        VENUE,
        ReplayDataClientConfig,
        ReplayDataClientFactory,
        ReplayExecClientConfig,
        SandboxLiveExecClientFactory,
    )

    catalog = settings.catalog_dir
    if not catalog.exists():
        raise RbtsError(f"no bar catalog in {catalog}: run `rbts data demo` or `rbts data import` first")
    spec = _active_spec(settings)
    capital = spec.settings.capital if spec is not None else settings.capital
    start_ns, end_ns = _replay_window(settings, options)
    restored: tuple = ()
    if checkpoint is not None:  # continue after the checkpoint's cycle, with its cash and positions
        # The positions are opened by reconciliation fills, which the simulated account pays for: it
        # starts with the checkpoint's cash plus what the positions cost.
        start_ns = checkpoint.ts + 1
        capital = checkpoint.cash + sum(p["qty"] * p["avg_px"] for p in checkpoint.positions.values())
        ctx = program.BuildContext("replay", settings, "", None)
        restored = tuple((ctx.instrument_id(s), p["qty"], p["avg_px"]) for s, p in sorted(checkpoint.positions.items()))
    data = {REPLAY: ReplayDataClientConfig(
        home=str(settings.home), start_ns=start_ns, end_ns=end_ns, speed=float(options.speed),
        routing=RoutingConfig(default=True),
    )}
    execs = {VENUE: ReplayExecClientConfig(
        venue=VENUE, starting_balances=[f"{capital:.2f} USD"], base_currency="USD", account_type="CASH",
        oms_type="HEDGING", bar_execution=True, trade_execution=False,
        routing=RoutingConfig(default=True, venues=frozenset({VENUE})), positions=restored,
    )}
    return data, execs, {REPLAY: (ReplayDataClientFactory, None), VENUE: (None, SandboxLiveExecClientFactory)}


def _ib_clients(settings: Settings):
    try:
        from rbts.runtime.ib import clients as ib
    except ImportError as exc:
        raise RbtsError(f"IB mode is not available: {exc}") from None
    spec = _active_spec(settings)
    symbols = list(spec.settings.symbols) if spec is not None else []
    return ib.ib_client_configs(settings, symbols)


def _active_spec(settings: Settings):
    active = Registry(settings.strategies_dir, settings.live_dir).active()
    if active is None:
        return None
    try:
        return program.plugin().load_text(decode(active[0], "active_strategy.json"), "active_strategy.json")
    except Exception:
        return None  # the controller reports it and starts in safe mode


def _replay_window(settings: Settings, options: RunOptions) -> tuple[int, int | None]:
    import pandas as pd

    from rbts.runtime.data.catalog import BarStore
    from rbts.runtime.live.replay import to_ns

    end_ns = to_ns(options.end, settings.timezone) if options.end else None
    if options.start:
        return to_ns(options.start, settings.timezone), end_ns
    # Default: the last 30 sessions or so of the catalog (earlier bars serve warm-up requests), and never
    # the catalog's first day: a shorter catalog keeps at least a session of every symbol for the warm-up
    # (an apply with no history at all is refused).
    store = BarStore(settings)
    frames = [store.load_frame(s).index for s in store.symbols()]
    if not frames:
        raise RbtsError(f"the catalog {settings.catalog_dir} holds no bars: run `rbts data demo` first")
    recent = max(i[-1] for i in frames) - pd.Timedelta(days=42)
    first_day = max(i[0] for i in frames).tz_convert(settings.timezone).normalize()
    return int(max(recent, first_day + pd.Timedelta(days=1)).as_unit("ns").value), end_ns


def run(settings: Settings, options: RunOptions, lock) -> int:
    """Run the bot in this process until SIGTERM/SIGINT, as a new numbered run; returns the exit status.

    ``lock`` is the home's :class:`~rbts.runtime.live.lock.BotLock`, held by the caller for
    the process's lifetime.  The run's end (stopped, or failed with the error) is written
    before the lock goes; a run whose process dies never writes it, which is how a crash is
    told from a stop (:func:`rbts.runtime.live.control.bot_state`).

    IB mode first waits for the gateway (:func:`_wait_for_gateway`): without one, the
    failure is reported at once (state store and stderr) and retried with back-off,
    and SIGTERM still ends the process.
    """
    from rbts.runtime.live.store import END_FAILED, END_STOPPED

    live_dir = settings.live_dir
    live_dir.mkdir(parents=True, exist_ok=True)
    from rbts.runtime.live.resume import checkpoint_of

    described = {"mode": options.mode, "start": options.start, "end": options.end, "speed": options.speed}
    with StateStore(default_path(live_dir)) as store:
        previous = store.current_run()
        checkpoint = checkpoint_of(store, previous) if options.resume else None
        number = store.begin_run(options.mode, described)
        store.fail_unfinished_commands(f"the bot of run {number - 1} ended before finishing it")
        store.set_status(node_status="starting", mode=options.mode, pid=os.getpid(), started=time.time(),
                         heartbeat=time.time(), run=number, resumed_from=checkpoint.run if checkpoint else None)
        _announce(store, number, previous, options, checkpoint)
    lock.describe(run=number, started=time.time(), **described)
    end, detail = END_FAILED, None
    # Until the node installs its own handlers (in node.run), SIGTERM is a clean stop too.
    signal.signal(signal.SIGTERM, _stop_requested)
    from rbts.runtime.alerts import hub

    alerts = hub.start(settings)  # every event the store writes from now on may become an alert
    try:
        if options.mode == "ib":
            _run_ib(settings, options, number, checkpoint)
        else:
            _run_node(build_node(settings, options, number, checkpoint))
        end = END_STOPPED
    except (KeyboardInterrupt, StopRequested):
        end = END_STOPPED
    except RbtsError as exc:
        detail = exc.render()
        raise
    except BaseException as exc:
        detail = repr(exc)
        raise
    finally:
        with StateStore(default_path(live_dir), run=number) as store:
            store.set_status(node_status="stopped", connected=False, **({"last_error": detail} if detail else {}))
            store.end_run(number, end, detail)
            if end == END_STOPPED:  # a death is told by the supervisor, which sees the process end
                store.log_event(f"bot stopped (run {number}, {options.mode} mode)", kind="stopped")
        if alerts is not None:
            alerts.close()
    return 0


def _announce(store: StateStore, number: int, previous: int | None, options: RunOptions, checkpoint) -> None:
    """Say in an event what the new run continues from, or that it starts fresh."""
    from rbts.runtime.live.resume import describe

    if checkpoint is not None:
        store.log_event(f"run {number} {describe(checkpoint, options.mode)}", kind="run")
    elif previous is None:
        return
    elif options.resume:
        store.log_event(f"run {number} starts fresh: run {previous} recorded no cycle to resume from",
                        level="WARNING", kind="run")
    elif options.mode == "ib":
        store.log_event(f"run {number} starts anew after run {previous}: positions and orders reconcile with IB; "
                        "the strategy starts from its capital", kind="run")
    else:
        start = f" from {options.start}" if options.start else ""
        store.log_event(f"run {number} starts a fresh replay{start}: run {previous}'s positions and cash are not "
                        "carried over (`rbts restart` resumes a run)", level="WARNING", kind="run")


class StopRequested(BaseException):
    """SIGTERM before the node runs (while building it, or waiting for IB)."""


def _stop_requested(*_args) -> None:
    raise StopRequested()


def _run_node(node) -> None:
    try:
        node.run()
    finally:
        node.dispose()


def _run_ib(settings: Settings, options: RunOptions, run: int, checkpoint=None) -> None:
    """Wait for the gateway, build the node, run it; a build that could not connect starts over."""
    from nautilus_trader.adapters.interactive_brokers import factories

    _ib_clients(settings)  # settings errors (no account, unknown symbol) first: waiting would not fix them
    stop = _StopSignal()
    attempt = 0
    while True:
        with stop.installed():  # restored before the build: Nautilus installs its own handlers there
            attempt = _wait_for_gateway(settings, stop, attempt)
        if attempt < 0:
            return  # stopped while waiting
        node = build_node(settings, options, run, checkpoint)
        clients = list(factories.IB_CLIENTS.values())
        if clients and all(c._is_ib_connected.is_set() for c in clients):
            # Connected: from now on reconnect for as long as it takes (IB's nightly restart);
            # the bounded attempts only keep node.build() from blocking forever.
            for client in clients:
                client._indefinite_reconnect = True
            _run_node(node)
            return
        node.dispose()
        factories.IB_CLIENTS.clear()  # a client that gave up is never reused
        _report_ib_failure(settings, f"{_ib().unreachable_message(settings)} (the API handshake failed)", attempt)


def _ib():
    from rbts.runtime.ib import gateway

    return gateway


class _StopSignal:
    """SIGTERM/SIGINT while no node runs (Nautilus installs its own handlers in ``node.run``)."""

    def __init__(self) -> None:
        import threading

        self.event = threading.Event()

    def installed(self):
        import contextlib
        import signal

        @contextlib.contextmanager
        def handlers():
            previous = {sig: signal.signal(sig, lambda *_: self.event.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

        return handlers()


RETRY_DELAYS_S = (2, 4, 8, 15, 30)  # then every 30 s


def _wait_for_gateway(settings: Settings, stop: _StopSignal, attempt: int) -> int:
    """Block until TWS/IB Gateway accepts connections; returns the attempt count, -1 if stopped."""
    ib = _ib()
    while not stop.event.is_set():
        attempt += 1
        if ib.gateway_reachable(settings, timeout=2.0):
            with StateStore(default_path(settings.live_dir)) as store:
                store.set_status(node_status="connecting", last_error=None, heartbeat=time.time())
            return attempt
        delay = RETRY_DELAYS_S[min(attempt - 1, len(RETRY_DELAYS_S) - 1)]
        _report_ib_failure(settings, f"{ib.unreachable_message(settings)}; retrying in {delay} s", attempt)
        deadline = time.monotonic() + delay
        while not stop.event.is_set() and time.monotonic() < deadline:
            stop.event.wait(min(1.0, deadline - time.monotonic()))
            with StateStore(default_path(settings.live_dir)) as store:
                store.set_status(heartbeat=time.time())  # alive, only waiting
    return -1


def _report_ib_failure(settings: Settings, message: str, attempt: int) -> None:
    import sys

    print(f"rbts live: {message} (attempt {attempt})", file=sys.stderr, flush=True)
    with StateStore(default_path(settings.live_dir)) as store:
        store.set_status(node_status="waiting for IB", connected=False, last_error=message, heartbeat=time.time())
        if attempt == 1 or attempt % 10 == 0:  # the log is not flooded while the gateway is down
            store.log_event(message, level="ERROR", kind="connection")
