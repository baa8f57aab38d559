"""Offline live mode: catalog bars replayed through a live data client, Sandbox execution.

``ReplayDataClient`` is a real ``LiveMarketDataClient``: the node, the strategy
and the controller see exactly what they would see from a broker, only the
bars come from the Parquet catalog.  Bars stamped before ``start`` serve
history requests (warm-up); bars from ``start`` on are published one instant
at a time, all symbols of an instant together, sleeping ``Δt / speed`` between
instants (gaps longer than ``max_gap_s`` of data time, nights and weekends,
are shortened to one base bar so a demo does not stall overnight).

The Sandbox execution client is subclassed because it only listens to
``data.*.{venue}.*`` topics and never sees bars (bar topics are
``data.bars.{bar_type}``); Nautilus' node builder passes ``portfolio`` only to a
factory named ``SandboxLiveExecClientFactory``, so the subclass factory keeps
that name.

Replay is deterministic whatever the speed or the machine's load: after the bars
of an instant T the player waits until the node's engine queues are empty (every
bar applied), publishes T on :data:`TOPIC_INSTANT` (the strategy runs its cycle
for T right there, on data time, instead of on a wall-clock timer), then waits
again until every order it sent has been processed by the simulated exchange.
So an order decided at T fills at the close of the bar at T (SPEC §2.4), as in a
backtest, and no bar stamped after T is published before the cycle of T is done.
Then it publishes T on :data:`TOPIC_SETTLED`: the strategy records the cycle's marks
(equity and cash after its fills, as a backtest records them) there.
"""

from __future__ import annotations

import asyncio
import heapq
from datetime import datetime

import pandas as pd
from nautilus_trader.adapters.sandbox.config import SandboxExecutionClientConfig
from nautilus_trader.adapters.sandbox.execution import SandboxExecutionClient
from nautilus_trader.common.providers import InstrumentProvider
from nautilus_trader.live.config import LiveDataClientConfig
from nautilus_trader.live.data_client import LiveMarketDataClient
from nautilus_trader.live.factories import LiveDataClientFactory, LiveExecClientFactory
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.enums import AggregationSource
from nautilus_trader.model.identifiers import ClientId

from rbts.runtime.data.aggregate import resample
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.settings import load_settings
from rbts.dsl.exchange import EXCHANGE_TZ

REPLAY = "REPLAY"
SESSIONS_PARAM = "rbts_warmup_sessions"  # == rbts.runtime.live.warmup.SESSIONS_PARAM
TOPIC_INSTANT = "rbts.replay.instant"  # int: every bar stamped at or before it has been applied
TOPIC_SETTLED = "rbts.replay.settled"  # int: the instant's cycle ran and every order it sent was processed
VENUE = "RBTS"  # one simulated venue and one cash account for every symbol, as in backtests


def replay_instrument(symbol: str, settings):
    """The symbol's instrument moved onto the replay venue (same symbol, precision and kind)."""
    from rbts.runtime.strategy.instruments import sim_instrument
    from rbts.runtime.data.instruments import is_data_only, make_instrument

    return sim_instrument(symbol, make_instrument(symbol, settings), is_data_only(symbol, settings))


class ReplayDataClientConfig(LiveDataClientConfig, frozen=True, kw_only=True):
    home: str
    start_ns: int
    speed: float = 600.0
    end_ns: int | None = None
    max_gap_s: float = 300.0


class ReplayDataClient(LiveMarketDataClient):
    def __init__(self, loop, msgbus, cache, clock, config: ReplayDataClientConfig) -> None:
        super().__init__(
            loop=loop, client_id=ClientId(REPLAY), venue=None, msgbus=msgbus, cache=cache,
            clock=clock, instrument_provider=InstrumentProvider(), config=config,
        )
        self._cfg = config
        self._bars = BarStore(load_settings(config.home))
        self._series: dict[BarType, list[Bar]] = {}
        self._positions: dict[BarType, int] = {}
        self._cursor_ns = config.start_ns - 1  # every bar <= cursor has been published
        self._player: asyncio.Task | None = None
        self._engines: list = []  # live engines whose queues must be empty before the next step
        self._requests_in_flight = 0  # history requests not answered yet (a strategy warming up)
        self._subscriptions_in_flight = 0  # bar subscriptions not registered yet (a strategy starting)
        self.finished = False
        # The controller holds the replay between two instants while it swaps strategies; the
        # player starts held (until the first strategy runs) and parks at the next boundary.
        self._hold = True
        self._parked = True
        ReplayDataClientFactory.last = self

    def watch_engines(self, *engines) -> None:
        """The node's data, risk and execution engines (see :meth:`_settle`)."""
        self._engines = list(engines)

    @property
    def cursor_ns(self) -> int:
        return self._cursor_ns

    def hold(self) -> None:
        """Stop publishing after the instant in progress (see :attr:`held`)."""
        self._hold = True

    def release(self) -> None:
        self._hold = False

    @property
    def held(self) -> bool:
        """Held between two instants: every bar up to the cursor applied, its cycle and fills done."""
        return self._hold and (self._parked or self._player is None or self._player.done())

    async def _connect(self) -> None:
        for symbol in self._bars.symbols():
            instrument = replay_instrument(symbol, self._bars.settings)
            self._cache.add_instrument(instrument)
            self._handle_data(instrument)

    async def _disconnect(self) -> None:
        if self._player is not None:
            self._player.cancel()
            self._player = None

    def _load(self, bar_type: BarType) -> list[Bar]:
        """The catalog's bars of a symbol at the bar type's size (larger sizes aggregated per SPEC §2.3)."""
        if bar_type not in self._series:
            from rbts.runtime.strategy.instruments import make_bars
            from rbts.runtime.data.instruments import spec_seconds, symbol_of

            symbol = symbol_of(bar_type.instrument_id, self._bars.settings)
            seconds = spec_seconds(str(bar_type.spec))
            end = pd.Timestamp(self._cfg.end_ns, tz="UTC") if self._cfg.end_ns else None
            frame = self._bars.load_frame(symbol, end=end)
            base = self._bars.bar_seconds(symbol)
            if seconds != base:
                frame = resample(frame, seconds)  # the grid backtests and traces use
            instrument = self._cache.instrument(bar_type.instrument_id)
            self._series[bar_type] = make_bars(instrument, seconds, frame) if len(frame) else []
        return self._series[bar_type]

    def subscribe_bars(self, command) -> None:
        self._subscriptions_in_flight += 1  # the player waits for them (see _settle)
        super().subscribe_bars(command)

    async def _subscribe_bars(self, command) -> None:
        try:
            bar_type = command.bar_type
            bars = self._load(bar_type)
            if not bars:
                self._log.error(f"replay: no bars in the catalog for {bar_type}")
            # Join the stream after the bars already published.
            self._positions[bar_type] = _first_after(bars, self._cursor_ns)
            if self._player is None or self._player.done():
                self._player = self.create_task(self._play(), log_msg="replay player")
        finally:
            self._subscriptions_in_flight -= 1

    async def _unsubscribe_bars(self, command) -> None:
        self._positions.pop(command.bar_type, None)

    def request_bars(self, request) -> None:
        self._requests_in_flight += 1
        super().request_bars(request)

    async def _request_bars(self, request) -> None:
        try:
            self._serve_history(request)
        finally:
            self._requests_in_flight -= 1

    def _serve_history(self, request) -> None:
        """History up to the replay cursor (never a bar the replay has not reached)."""
        bar_type = request.bar_type
        now = max(self._cursor_ns, self._cfg.start_ns - 1)
        bars = [b for b in self._load(bar_type) if b.ts_init <= now]
        sessions = (request.params or {}).get(SESSIONS_PARAM)
        if sessions:  # a warm-up: that many sessions before the replay's current day
            from rbts.runtime.live.warmup import history_start_ns

            day = pd.Timestamp(now, tz="UTC").tz_convert(EXCHANGE_TZ).date()
            first = history_start_ns(day, int(sessions))
            bars = [b for b in bars if b.ts_init > first]
        elif request.start is not None:
            start_ns = pd.Timestamp(request.start).value
            if start_ns < (bars[-1].ts_init if bars else 0):
                bars = [b for b in bars if b.ts_init >= start_ns]
        if request.limit:
            bars = bars[-request.limit:]
        self._handle_bars(bar_type, bars, request.id, request.start, request.end, request.params)

    async def _play(self) -> None:
        while True:
            if self._hold or not self._positions:  # a swap in progress, or nothing subscribed
                self._parked = True
                await asyncio.sleep(0.02)
                continue
            if self._parked:  # released: the new strategy's subscriptions and requests first
                self._parked = False
                await self._settle()
                continue
            nxt = self._next_instant()
            if nxt is None:
                self.finished = True
                self._log.warning("replay: end of data")
                return
            if self._cursor_ns >= self._cfg.start_ns:
                await asyncio.sleep(pause_s(nxt - self._cursor_ns, self._step_ns(), self._cfg))
            for bar_type, pos in list(self._positions.items()):
                bars = self._series[bar_type]
                while pos < len(bars) and bars[pos].ts_init <= nxt:
                    self._handle_data(bars[pos])
                    pos += 1
                self._positions[bar_type] = pos
            await self._settle()
            self._msgbus.publish(TOPIC_INSTANT, nxt)
            await self._settle()
            self._msgbus.publish(TOPIC_SETTLED, nxt)
            self._cursor_ns = nxt

    def _step_ns(self) -> int:
        """One bar of data time: the smallest bar size the replay publishes (its base bars)."""
        from rbts.runtime.data.instruments import spec_seconds

        return min(spec_seconds(str(bt.spec)) for bt in self._positions) * 1_000_000_000

    def _busy(self) -> int:
        total = self._requests_in_flight + self._subscriptions_in_flight
        for engine in self._engines:
            for name in ("data_qsize", "cmd_qsize", "evt_qsize", "req_qsize", "res_qsize"):
                size = getattr(engine, name, None)
                if size is not None:
                    total += size()
        return total

    async def _settle(self, max_wait_s: float = 5.0) -> None:
        """Yield to the loop until every engine queue stays empty (bounded: never stall the replay)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_wait_s
        quiet = 0
        while quiet < 2 and loop.time() < deadline:
            await asyncio.sleep(0)
            quiet = quiet + 1 if self._busy() == 0 else 0

    def _next_instant(self) -> int | None:
        heads = [self._series[bt][p].ts_init for bt, p in self._positions.items() if p < len(self._series[bt])]
        return heapq.nsmallest(1, heads)[0] if heads else None


def pause_s(gap_ns: int, step_ns: int, config: ReplayDataClientConfig) -> float:
    """Wall seconds between two instants ``gap_ns`` apart: ``gap / speed``, a gap longer than
    ``max_gap_s`` (a night, a weekend) counted as one bar, whichever gap it is (the first too)."""
    if gap_ns > config.max_gap_s * 1e9:
        gap_ns = min(step_ns, gap_ns)
    return gap_ns / 1e9 / config.speed


def _first_after(bars: list[Bar], ts_ns: int) -> int:
    lo, hi = 0, len(bars)
    while lo < hi:
        mid = (lo + hi) // 2
        if bars[mid].ts_init <= ts_ns:
            lo = mid + 1
        else:
            hi = mid
    return lo


class ReplayDataClientFactory(LiveDataClientFactory):
    last: ReplayDataClient | None = None  # the client made last (node.py hands it the engines)

    @staticmethod
    def create(loop, name, config, msgbus, cache, clock):  # type: ignore[override]
        return ReplayDataClient(loop, msgbus, cache, clock, config)


class ReplayExecClientConfig(SandboxExecutionClientConfig, frozen=True, kw_only=True):
    # A resumed replay's positions: (instrument id, signed quantity, average price) each.
    positions: tuple[tuple[str, float, float], ...] = ()


class BarSandboxExecutionClient(SandboxExecutionClient):
    """The Sandbox exchange, fed with the external bars of its venue (bar execution).

    A resumed replay's positions are reported as the venue's at start-up, once: Nautilus'
    reconciliation then opens them (owned by the strategy that claims their instruments)."""

    def __init__(self, *, config, **kwargs) -> None:
        super().__init__(config=config, **kwargs)
        self._restored = tuple(getattr(config, "positions", ()))

    def connect(self) -> None:
        super().connect()
        self._msgbus.subscribe("data.bars.*", handler=self._on_bar)

    async def generate_position_status_reports(self, command) -> list:
        from decimal import Decimal

        from nautilus_trader.core.uuid import UUID4
        from nautilus_trader.execution.reports import PositionStatusReport
        from nautilus_trader.model.enums import PositionSide
        from nautilus_trader.model.identifiers import InstrumentId
        from nautilus_trader.model.objects import Quantity

        restored, self._restored = self._restored, ()  # at start-up only
        now = self._clock.timestamp_ns()
        reports = []
        for iid, qty, avg_px in restored:
            instrument = self._cache.instrument(InstrumentId.from_str(iid))
            if instrument is None or not qty:
                continue
            reports.append(PositionStatusReport(
                account_id=self.account_id, instrument_id=instrument.id,
                position_side=PositionSide.LONG if qty > 0 else PositionSide.SHORT,
                quantity=Quantity(abs(qty), instrument.size_precision), report_id=UUID4(), ts_last=now, ts_init=now,
                avg_px_open=Decimal(str(avg_px))))
        return reports

    def _on_bar(self, bar: Bar) -> None:
        bar_type = bar.bar_type
        if bar_type.instrument_id.venue == self.venue and bar_type.aggregation_source == AggregationSource.EXTERNAL:
            self.on_data(bar)


class SandboxLiveExecClientFactory(LiveExecClientFactory):
    """Same name as Nautilus' factory on purpose: the node builder checks the name."""

    @staticmethod
    def create(loop, name, config: SandboxExecutionClientConfig, portfolio, msgbus, cache, clock):  # type: ignore[override]
        return BarSandboxExecutionClient(
            loop=loop, clock=clock, portfolio=portfolio, msgbus=msgbus, cache=cache, config=config,
        )


def to_ns(when: str | datetime | pd.Timestamp, tz: str = EXCHANGE_TZ) -> int:
    """A date or time (naive = exchange time) as UTC nanoseconds."""
    ts = pd.Timestamp(when)
    if ts.tzinfo is None:
        ts = ts.tz_localize(tz)
    return int(ts.tz_convert("UTC").value)
