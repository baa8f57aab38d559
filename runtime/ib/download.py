"""``rbts data download``: IB historical 1-minute bars into the catalog.

Bars come from TWS / IB Gateway through Nautilus' ``HistoricInteractiveBrokersClient``,
one request per symbol and New York trading day (XNYS sessions of the settings'
calendar), paced to IB's historical-data limits, and are written to the catalog with
:class:`~rbts.runtime.data.catalog.BarStore` day by day, so an interrupted download
keeps the days it finished.

Timestamps: IB dates a bar by its *open*; Nautilus' historic client gives
``ts_event`` = open and ``ts_init`` = close. RBTS stamps every bar at its **close**,
so the close (``ts_init``) is what is stored.

Extended hours are included (``use_rth=False``) unless ``rth_only=True``: the 1-minute
base bars feed ``time in ETH`` rules and daily bars that cover the whole day (SPEC 2.3).
"""

from __future__ import annotations

import asyncio
import os
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from rbts.dsl.errors import RbtsError
from rbts.dsl.limits import symbol_problem
from rbts.runtime.data import instruments
from rbts.runtime.ib.clients import identified
from rbts.dsl.exchange import EXCHANGE_TZ

if TYPE_CHECKING:
    from rbts.runtime.settings import Settings

Progress = Callable[[int, int, str], None]
BAR_SPEC = "1-MINUTE-LAST"
PACING_CODE = 162  # IB: historical data error; "pacing violation" in the text means "slow down"
NO_DATA_CODES = (162, 165)  # 162 without "pacing": the query returned no data


@dataclass(frozen=True)
class Pacing:
    """IB's historical-data pacing rules, made configurable (tests use small windows).

    IB allows at most 60 historical requests in any 10 minutes and no identical
    request within 15 s; breaking the rules gives error 162 "pacing violation",
    after which we wait ``violation_backoff`` seconds and retry (``max_retries`` times).
    """

    max_requests: int = 60
    window_seconds: float = 600.0
    min_interval: float = 0.5  # between two requests: IB also limits bursts (6 per 2 s per contract)
    violation_backoff: float = 60.0
    max_retries: int = 3
    request_timeout: int = 120


@dataclass
class Pacer:
    """A sliding-window limiter: :meth:`wait` blocks until one more request is allowed."""

    pacing: Pacing
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    sent: list[float] = field(default_factory=list)

    def wait(self) -> float:
        """Sleep as needed, record the request, and return how long it slept."""
        slept = 0.0
        while True:
            now = self.clock()
            self.sent = [t for t in self.sent if now - t < self.pacing.window_seconds]
            delay = 0.0
            if len(self.sent) >= self.pacing.max_requests:
                delay = self.sent[0] + self.pacing.window_seconds - now
            if self.sent:
                delay = max(delay, self.sent[-1] + self.pacing.min_interval - now)
            if delay <= 0:
                self.sent.append(now)
                return slept
            self.sleep(delay)
            slept += delay


def download_bars(
    settings: Settings,
    symbols: list[str],
    start: str,
    end: str,
    progress: Progress | None = None,
    *,
    rth_only: bool = False,
    pacing: Pacing | None = None,
) -> dict[str, int]:
    """Download 1-minute bars for ``symbols`` over the New York days ``start``..``end``.

    Returns the number of bars written per (normalised) symbol. ``progress(done, total,
    label)`` is called after each request. Raises :class:`RbtsError` when TWS/Gateway
    cannot be reached, a symbol is unknown to IB, or IB refuses the data.
    """
    names = _symbols(symbols, settings)
    days = _sessions(start, end, settings)
    pacing = pacing or Pacing()
    total = len(names) * len(days)
    counts = {name: 0 for name in names}
    if not days:
        return counts
    _probe(settings)

    from rbts.runtime.data.catalog import BarStore

    store = BarStore(settings)
    pacer = Pacer(pacing)
    with _historic_client(settings) as session:
        session.load_instruments([str(instruments.instrument_id(n, settings)) for n in names])
        done = 0
        for name in names:
            iid = str(instruments.instrument_id(name, settings))
            for day in days:
                frame = session.day_bars(iid, day, rth_only, pacer, pacing)
                if not frame.empty:
                    store.write_frame(name, frame, 60, {"source": "ib", "synthetic": False})
                counts[name] += len(frame)
                done += 1
                if progress is not None:
                    progress(done, total, f"{name} {day:%Y-%m-%d}")
    return counts


# -- inputs --------------------------------------------------------------------------------


def _symbols(symbols: list[str], settings: Settings) -> list[str]:
    names = list(dict.fromkeys(instruments.normalize(s) for s in symbols if str(s).strip()))
    if not names:
        raise RbtsError("download: give at least one symbol")
    for problem in filter(None, (symbol_problem(s) for s in symbols if str(s).strip())):
        raise RbtsError(f"download: {problem}")
    for name in names:
        identified(name, settings)
    return names


def _sessions(start: str, end: str, settings: Settings) -> list[pd.Timestamp]:
    import exchange_calendars as xcals

    try:
        first, last = pd.Timestamp(_day(start, "--start")), pd.Timestamp(_day(end, "--end"))
    except ValueError as exc:
        raise RbtsError(str(exc)) from None
    if first > last:
        raise RbtsError(f"--start {start} is after --end {end}")
    calendar = xcals.get_calendar(settings.calendar)
    lo = max(first, calendar.first_session)
    hi = min(last, calendar.last_session)
    if lo > hi:
        return []
    return list(calendar.sessions_in_range(lo, hi))


def _day(text: str, flag: str) -> str:
    import re

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(text)):
        raise ValueError(f"{flag}: expected a date YYYY-MM-DD, got {text!r}")
    try:
        pd.Timestamp(text)
    except ValueError:
        raise ValueError(f"{flag}: {text!r} is not a calendar date") from None
    return text


# -- connection ----------------------------------------------------------------------------


def _probe(settings: Settings) -> None:
    """Fail fast when nothing listens: the IB client itself would back off for minutes."""
    from rbts.runtime.ib.gateway import gateway_reachable, unreachable_message

    if not gateway_reachable(settings):
        raise RbtsError(unreachable_message(settings))


@contextmanager
def bounded_connection_attempts(attempts: int) -> Iterator[None]:
    """Set ``IB_MAX_CONNECTION_ATTEMPTS`` while an IB client is built (it reads it once)."""
    old = os.environ.get("IB_MAX_CONNECTION_ATTEMPTS")
    os.environ["IB_MAX_CONNECTION_ATTEMPTS"] = str(max(1, int(attempts)))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("IB_MAX_CONNECTION_ATTEMPTS", None)
        else:
            os.environ["IB_MAX_CONNECTION_ATTEMPTS"] = old


def download_client_id(settings: Settings) -> int:
    """Downloads use the next client id, so they can run beside the live bot (IB error 326)."""
    return int(settings.ib.client_id) + 1


@contextmanager
def _historic_client(settings: Settings) -> Iterator[_Session]:
    """A connected ``HistoricInteractiveBrokersClient`` on a private event loop.

    Call from synchronous code (a CLI command, a UI callback, a worker thread): the
    client runs its own loop with ``run_until_complete``.
    """
    import nautilus_trader.adapters.interactive_brokers.historical.client as historic
    from rbts.runtime.ib.clients import market_data_type

    loop = asyncio.new_event_loop()
    previous = _current_loop()
    asyncio.set_event_loop(loop)
    ib = settings.ib
    try:
        with bounded_connection_attempts(ib.max_connection_attempts), _logging_once(historic):
            client = historic.HistoricInteractiveBrokersClient(
                host=ib.host,
                port=ib.port,
                client_id=download_client_id(settings),
                market_data_type=market_data_type(ib.market_data_type),
                log_level="DEBUG" if os.environ.get("RBTS_DEBUG") else "OFF",
            )
        loop.set_debug(False)  # the client turns asyncio debug on: slow-callback noise on stderr
        if not client._client.is_ready:
            raise RbtsError(
                f"connected to {ib.host}:{ib.port} but the IB API handshake failed — is the API enabled "
                f"and client id {download_client_id(settings)} free?"
            )
        session = _Session(client, loop)
        loop.run_until_complete(client.connect())
        yield session
    finally:
        _shutdown(loop, locals().get("client"))
        asyncio.set_event_loop(previous)


def _current_loop():
    with warnings.catch_warnings():  # "no current event loop" in a fresh thread
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            return None


@contextmanager
def _logging_once(module) -> Iterator[None]:
    """Let the historic client start when Nautilus logging already runs in this process."""
    from nautilus_trader.common.component import init_logging, is_logging_initialized

    def init_once(**kwargs):
        return None if is_logging_initialized() else init_logging(**kwargs)

    original = module.init_logging
    module.init_logging = init_once
    try:
        yield
    finally:
        module.init_logging = original


def _shutdown(loop: asyncio.AbstractEventLoop, client) -> None:
    try:
        if client is not None:
            ib = client._client
            ib._stop()
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=2))
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()


class _Session:
    """Requests on a connected historic client, with IB errors surfaced per request."""

    def __init__(self, client, loop: asyncio.AbstractEventLoop):
        self.client = client
        self.loop = loop
        self.errors: dict[int, tuple[int, str]] = {}
        self._hook_errors()

    def _hook_errors(self) -> None:
        """Record IB errors per request id and end the failed request at once.

        Nautilus ends a failed request without resolving its future, so the caller
        would wait for the full timeout (60 s for contract details).
        """
        ib = self.client._client
        original = ib.process_error

        async def process_error(*, req_id, error_time, error_code, error_string, advanced_order_reject_json=""):
            request = ib._requests.get(req_id=req_id) if req_id != -1 else None
            if req_id != -1:
                self.errors[req_id] = (error_code, error_string)
            await original(
                req_id=req_id, error_time=error_time, error_code=error_code,
                error_string=error_string, advanced_order_reject_json=advanced_order_reject_json,
            )  # fmt: skip
            if request is not None and not request.future.done():
                request.future.set_result(request.result)

        ib.process_error = process_error

    def load_instruments(self, instrument_ids: list[str]) -> None:
        loaded = self.loop.run_until_complete(self.client.request_instruments(instrument_ids=instrument_ids))
        found = {str(i.id) for i in loaded}
        missing = [i for i in instrument_ids if i not in found]
        if missing:
            detail = "; ".join(f"{text} (code {code})" for code, text in self.errors.values())
            raise RbtsError(
                f"IB has no contract for {', '.join(missing)}" + (f": {detail}" if detail else "")
                + " — check the symbol and its venue in rbts.yaml"
            )

    def day_bars(self, instrument_id: str, day: pd.Timestamp, rth_only: bool, pacer: Pacer, pacing: Pacing) -> pd.DataFrame:
        """The bars closing in (day 00:00, day+1 00:00] New York time, as a close-stamped frame."""
        window = request_window(day, pd.Timestamp.now(tz=EXCHANGE_TZ))
        if window is None:  # a day that has not begun
            return _frame([], pd.Timestamp(day.date(), tz=EXCHANGE_TZ), pd.Timestamp(day.date(), tz=EXCHANGE_TZ))
        lo, hi = window
        for attempt in range(pacing.max_retries + 1):
            pacer.wait()
            first_req = self.client._client._request_id_seq
            started = time.monotonic()
            bars = self.loop.run_until_complete(
                self.client.request_bars(
                    bar_specifications=[BAR_SPEC],
                    start_date_time=lo.tz_localize(None),
                    end_date_time=hi.tz_localize(None),
                    tz_name=EXCHANGE_TZ,
                    instrument_ids=[instrument_id],
                    use_rth=rth_only,
                    timeout=pacing.request_timeout,
                )
            )
            errors = [self.errors.pop(r) for r in list(self.errors) if r >= first_req]
            if any(code == PACING_CODE and "pacing" in text.lower() for code, text in errors):
                if attempt < pacing.max_retries:
                    time.sleep(pacing.violation_backoff)
                    continue
                raise RbtsError(f"IB kept refusing requests for pacing (error 162) for {instrument_id} on {day:%Y-%m-%d}; try again later")
            refused = [(c, t) for c, t in errors if c not in NO_DATA_CODES]
            if refused:
                code, text = refused[0]
                raise RbtsError(f"IB refused historical data for {instrument_id} on {day:%Y-%m-%d}: {text} (code {code})")
            if not bars and not errors and time.monotonic() - started >= pacing.request_timeout - 1:
                raise RbtsError(f"IB did not answer the historical data request for {instrument_id} on {day:%Y-%m-%d} within {pacing.request_timeout} s")
            return _frame(bars, lo, hi)
        raise AssertionError("unreachable")


def request_window(day: pd.Timestamp, now: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """(start, end) New York time of the request for ``day``: the whole day, up to ``now``.

    IB serves no future data, so today's request ends at the last whole minute.
    """
    lo = pd.Timestamp(day.date(), tz=EXCHANGE_TZ)
    hi = min(lo + pd.Timedelta(days=1), now.tz_convert(EXCHANGE_TZ).floor("1min"))
    return (lo, hi) if hi > lo else None


def _frame(bars: list, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    """Nautilus bars -> a frame indexed by close time (``ts_init``), within (lo, hi]."""
    if not bars:
        from rbts.runtime.data.bar_files import empty_frame

        return empty_frame()
    rows = {
        "open": [float(b.open) for b in bars],
        "high": [float(b.high) for b in bars],
        "low": [float(b.low) for b in bars],
        "close": [float(b.close) for b in bars],
        "volume": [float(b.volume) for b in bars],
    }
    index = pd.DatetimeIndex(pd.to_datetime([b.ts_init for b in bars], unit="ns", utc=True), name="ts")
    frame = pd.DataFrame(rows, index=index)
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    return frame[(frame.index > lo) & (frame.index <= hi)]
