"""A fake TWS / IB Gateway for tests: the real socket protocol at server version 200.

At server version 200 (below ``MIN_SERVER_VER_PROTOBUF = 201``) the real ibapi and
Nautilus' IB adapter use the legacy *text* framing: every message is a 4-byte
big-endian length, then NUL-terminated text fields, the first being the message id.
This server speaks that framing on 127.0.0.1 so that the unmodified Nautilus
clients (``HistoricInteractiveBrokersClient``, the live data and execution clients)
can connect to it.  Every message it sends is laid out exactly as
``ibapi.decoder.Decoder`` reads it (tests/ib/test_fake_tws.py decodes each kind
through the real decoder).

It is data-driven: the test hands it bars, one pandas frame per IB symbol, indexed by
the bar's **close** time (tz-aware) with columns ``open high low close volume``.

- Historical requests (``reqHistoricalData``) are served from the bars that closed by
  the request's end time (``""`` = now), within its duration, aggregated to the
  requested bar size, with IB's convention: the bar's date is its *open* time
  (``formatDate=2``: epoch seconds).  ``useRTH=1`` keeps bars opening in 09:30-16:00
  New York time.
- ``keepUpToDate=True`` subscriptions first get the bars that closed before now, then
  every bar closing after the request time as ``historicalDataUpdate`` messages
  (optionally preceded by a partial update of the same bar, as IB does), one bar
  every ``live_interval`` seconds -- a test supplies bars stamped in the near future
  and receives them as live bars without waiting for the wall clock. With
  ``live_interval=None`` each bar is sent at its close time by the wall clock, as IB
  does (a strategy that acts on clock alerts needs that).
- ``reqRealTimeBars`` streams the frames in ``realtime_bars`` (5-second bars) the same way.
- Contract details for stocks (``STK``) and indexes (``IND``, e.g. VIX on CBOE).
- What an execution client needs at start-up: managed accounts, next valid id, account
  summary, positions, open orders and executions (all empty unless a fill happened).
- Orders: ``placeOrder`` for market and limit orders; a market order fills at once at
  the last close served, a limit order when it is marketable against that close.
  The fill is reported as ``openOrder``/``orderStatus``/``execDetails``/
  ``commissionAndFeesReport``; ``cancelOrder`` cancels a working order (``hold_cancels``: answered only at
  ``release_cancels()``, as an IB slow to answer).

Use it as a context manager::

    with FakeTws(bars={"AAPL": frame, "VIX": vix}) as tws:
        ... connect to 127.0.0.1:tws.port ...
    tws.requests  # [(name, fields), ...] of every request received
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Self
from zoneinfo import ZoneInfo

import pandas as pd

SERVER_VERSION = 200
NEW_YORK = ZoneInfo("America/New_York")

# Incoming message ids (ibapi.message.IN) the server sends.
TICK_PRICE, ORDER_STATUS, ERR_MSG, OPEN_ORDER = 1, 3, 4, 5
ACCT_VALUE, ACCT_UPDATE_TIME, NEXT_VALID_ID, CONTRACT_DATA = 6, 8, 9, 10
EXECUTION_DATA, MANAGED_ACCTS, HISTORICAL_DATA, CURRENT_TIME = 11, 15, 17, 49
REAL_TIME_BARS, CONTRACT_DATA_END, OPEN_ORDER_END, ACCT_DOWNLOAD_END = 50, 52, 53, 54
EXECUTION_DATA_END, MARKET_DATA_TYPE, COMMISSION_REPORT = 55, 58, 59
POSITION_DATA, POSITION_END, ACCOUNT_SUMMARY, ACCOUNT_SUMMARY_END = 61, 62, 63, 64
HISTORICAL_DATA_UPDATE, HISTORICAL_DATA_END = 90, 108

# Outgoing message ids (ibapi.message.OUT) the server understands.
REQUEST_NAMES = {
    1: "reqMktData", 2: "cancelMktData", 3: "placeOrder", 4: "cancelOrder",
    5: "reqOpenOrders", 6: "reqAccountUpdates", 7: "reqExecutions", 8: "reqIds",
    9: "reqContractDetails", 16: "reqAllOpenOrders", 17: "reqManagedAccts",
    20: "reqHistoricalData", 25: "cancelHistoricalData", 49: "reqCurrentTime",
    50: "reqRealTimeBars", 51: "cancelRealTimeBars", 58: "reqGlobalCancel",
    59: "reqMarketDataType", 61: "reqPositions", 62: "reqAccountSummary",
    63: "cancelAccountSummary", 64: "cancelPositions", 71: "startApi",
    87: "reqHeadTimeStamp", 99: "reqCompletedOrders",
}

BAR_SIZES = {"sec": 1, "min": 60, "hour": 3600, "day": 86400, "week": 604800}
DURATION_UNITS = {"S": 1, "D": 86400, "W": 7 * 86400, "M": 31 * 86400, "Y": 365 * 86400}

FARM_NOTICES = (
    (2104, "Market data farm connection is OK:usfarm"),
    (2106, "HMDS data farm connection is OK:ushmds"),
    (2158, "Sec-def data farm connection is OK:secdefnj"),
)


@dataclass(frozen=True)
class FakeContract:
    """What the fake knows about one IB symbol."""

    symbol: str
    sec_type: str = "STK"  # STK or IND
    exchange: str = "SMART"
    primary_exchange: str = "NASDAQ"
    con_id: int = 0
    min_tick: float = 0.01
    currency: str = "USD"
    long_name: str = ""


DEFAULT_PRIMARY = {
    "AAPL": "NASDAQ", "MSFT": "NASDAQ", "NVDA": "NASDAQ", "AMZN": "NASDAQ",
    "GOOGL": "NASDAQ", "META": "NASDAQ", "TSLA": "NASDAQ", "QQQ": "NASDAQ",
    "SPY": "ARCA", "IWM": "ARCA",
}
DEFAULT_INDEXES = {"VIX": "CBOE", "SPX": "CBOE", "NDX": "NASDAQ"}


def default_contract(symbol: str, con_id: int) -> FakeContract:
    if symbol in DEFAULT_INDEXES:
        return FakeContract(symbol, "IND", DEFAULT_INDEXES[symbol], "", con_id, 0.01)
    return FakeContract(symbol, "STK", "SMART", DEFAULT_PRIMARY.get(symbol, "NYSE"), con_id)


# -- framing -------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return repr(float(value))  # shortest round-trip text, also for numpy floats
    return str(value)


def encode(msg_id: int, *fields) -> bytes:
    """One server message in text framing: length prefix, then NUL-terminated fields."""
    payload = "".join(_text(f) + "\0" for f in (msg_id, *fields)).encode()
    return struct.pack("!I", len(payload)) + payload


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    chunks = b""
    while len(chunks) < n:
        part = sock.recv(n - len(chunks))
        if not part:
            return None
        chunks += part
    return chunks


# -- server messages (laid out as ibapi.decoder.Decoder reads them at v200) -----------------


def msg_error(req_id: int, code: int, text: str) -> bytes:
    return encode(ERR_MSG, req_id, code, text, "", int(time.time() * 1000))


def msg_contract_details(req_id: int, c: FakeContract) -> bytes:
    is_index = c.sec_type == "IND"
    sec_ids = [] if is_index else ["ISIN", f"US{c.con_id:09d}0"]
    return encode(
        CONTRACT_DATA, req_id, c.symbol, c.sec_type,
        "", "",  # lastTradeDateOrContractMonth, lastTradeDate
        0.0, "",  # strike, right
        c.exchange,
        c.currency, c.symbol,  # currency, localSymbol
        c.symbol if not is_index else "",  # marketName
        c.symbol,  # tradingClass
        c.con_id, c.min_tick, "",  # conId, minTick, multiplier
        "ACTIVETIM,AD,ADJUST,ALERT,ALLOC,LMT,MKT,STP" if not is_index else "",  # orderTypes
        "SMART,NASDAQ,NYSE,ARCA,BATS" if not is_index else c.exchange,  # validExchanges
        1, 0,  # priceMagnifier, underConId
        c.long_name or c.symbol, c.primary_exchange,
        "", "Technology" if not is_index else "Indices", "", "",  # contractMonth, industry, category, subcategory
        "US/Eastern",
        "20250101:0400-20250101:2000",  # tradingHours
        "20250101:0930-20250101:1600",  # liquidHours
        "", 0,  # evRule, evMultiplier
        len(sec_ids) // 2, *sec_ids,
        1, "", "",  # aggGroup, underSymbol, underSecType
        "26" if not is_index else "",  # marketRuleIds
        "",  # realExpirationDate
        "COMMON" if not is_index else "",  # stockType
        "1", "1", "1",  # minSize, sizeIncrement, suggestedSizeIncrement
        0,  # ineligibility reasons
    )


def msg_historical_data(req_id: int, bars: list[tuple]) -> bytes:
    fields: list = [req_id, len(bars)]
    for date, o, h, l, c, v in bars:
        fields += [date, o, h, l, c, _decimal(v), _decimal(c), 1]
    return encode(HISTORICAL_DATA, *fields)


def msg_historical_data_end(req_id: int, start: str, end: str) -> bytes:
    return encode(HISTORICAL_DATA_END, req_id, start, end)


def msg_historical_update(req_id: int, bar: tuple) -> bytes:
    date, o, h, l, c, v = bar
    return encode(HISTORICAL_DATA_UPDATE, req_id, 1, date, o, c, h, l, _decimal(c), _decimal(v))


def msg_realtime_bar(req_id: int, bar: tuple) -> bytes:
    date, o, h, l, c, v = bar
    return encode(REAL_TIME_BARS, 3, req_id, date, o, h, l, c, _decimal(v), _decimal(c), 1)


def msg_account_summary(req_id: int, account: str, tag: str, value: str, currency: str) -> bytes:
    return encode(ACCOUNT_SUMMARY, 1, req_id, account, tag, value, currency)


def msg_position(account: str, c: FakeContract, qty: float, avg_cost: float) -> bytes:
    return encode(
        POSITION_DATA, 3, account, c.con_id, c.symbol, c.sec_type, "", 0.0, "", "",
        c.exchange if c.sec_type == "IND" else "NASDAQ" if c.primary_exchange == "NASDAQ" else c.primary_exchange,
        c.currency, c.symbol, c.symbol, _decimal(qty), avg_cost,
    )


def msg_order_status(order: FakeOrder) -> bytes:
    return encode(
        ORDER_STATUS, order.order_id, order.status, _decimal(order.filled),
        _decimal(order.quantity - order.filled), order.avg_price, order.perm_id, 0,
        order.last_price, order.client_id, "", 0.0,
    )


def msg_execution(req_id: int, order: FakeOrder, fill: FakeFill, account: str) -> bytes:
    c = order.contract
    exchange = c.primary_exchange or c.exchange
    return encode(
        EXECUTION_DATA, req_id, order.order_id,
        c.con_id, c.symbol, c.sec_type, "", 0.0, "", "", exchange, c.currency, c.symbol, c.symbol,
        fill.exec_id, fill.time.strftime("%Y%m%d %H:%M:%S UTC"), account, exchange,
        "BOT" if order.action == "BUY" else "SLD", _decimal(fill.quantity), fill.price,
        order.perm_id, order.client_id, 0, _decimal(fill.cum_quantity), fill.avg_price,
        order.order_ref, "", "", "", 1, 0, "",
    )


def msg_commission(fill: FakeFill) -> bytes:
    return encode(COMMISSION_REPORT, 1, fill.exec_id, 0.0, "USD", 1.7976931348623157e308, 1.7976931348623157e308, 0)


def _decimal(value) -> str:
    d = Decimal(str(value))
    return format(d.normalize(), "f") if d == d.to_integral() else format(d, "f")


# -- orders --------------------------------------------------------------------------------


@dataclass
class FakeFill:
    exec_id: str
    time: datetime
    quantity: float
    price: float
    cum_quantity: float
    avg_price: float


@dataclass
class FakeOrder:
    order_id: int
    client_id: int
    perm_id: int
    contract: FakeContract
    action: str
    quantity: float
    order_type: str
    limit_price: float | None
    tif: str
    order_ref: str
    account: str
    status: str = "Submitted"
    aux_price: float | None = None  # a STP order's trigger price
    filled: float = 0.0
    avg_price: float = 0.0
    last_price: float = 0.0
    fills: list[FakeFill] = field(default_factory=list)


# -- bars ----------------------------------------------------------------------------------


def _bar_size_seconds(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s+(sec|min|hour|day|week)s?\s*", text)
    if not match:
        raise ValueError(f"unsupported bar size {text!r}")
    return int(match.group(1)) * BAR_SIZES[match.group(2)]


def _duration_seconds(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s+([SDWMY])\s*", text)
    if not match:
        raise ValueError(f"unsupported duration {text!r}")
    return int(match.group(1)) * DURATION_UNITS[match.group(2)]


def _parse_end(text: str, now: datetime) -> datetime:
    if not text:
        return now
    stamp, _, zone = text.partition(" ")[0], None, None
    match = re.fullmatch(r"(\d{8})[ -](\d{2}:\d{2}:\d{2})(?: (\S+))?", text.strip())
    if not match:
        raise ValueError(f"unsupported end date time {text!r}")
    stamp = datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H:%M:%S")
    zone = match.group(3) or "UTC"
    return stamp.replace(tzinfo=ZoneInfo("UTC" if zone in ("UTC", "GMT") else zone))


class BarSource:
    """The bars of one symbol, in IB's shape: (open epoch seconds, o, h, l, c, v) rows."""

    def __init__(self, frame: pd.DataFrame):
        frame = frame.rename(columns=str.lower).sort_index()
        index = pd.DatetimeIndex(frame.index)
        if index.tz is None:
            raise ValueError("bar frames must be indexed by tz-aware close times")
        self.close_ns = index.tz_convert("UTC").as_unit("ns").asi8
        self.frame = frame[["open", "high", "low", "close", "volume"]].astype(float)
        diffs = pd.Series(self.close_ns).diff().dropna()
        self.base_seconds = int(diffs.min() // 1_000_000_000) if len(diffs) else 60

    def bars(self, size_seconds: int, rth_only: bool) -> list[tuple[int, tuple]]:
        """(close ns, IB row) for every bar of ``size_seconds``, oldest first."""
        if size_seconds < self.base_seconds or size_seconds % self.base_seconds:
            return []
        rows = self.frame.to_numpy()
        size_ns = size_seconds * 1_000_000_000
        out: list[tuple[int, tuple]] = []
        for close_ns, (o, h, l, c, v) in zip(self.close_ns, rows, strict=True):
            bucket_close = -(-int(close_ns) // size_ns) * size_ns  # ceil: right-closed buckets
            if rth_only and not _in_rth(bucket_close - size_ns):
                continue
            if out and out[-1][0] == bucket_close:
                _, (date, o0, h0, l0, _c0, v0) = out[-1]
                out[-1] = (bucket_close, (date, o0, max(h0, h), min(l0, l), c, v0 + v))
            else:
                out.append((bucket_close, ((bucket_close - size_ns) // 1_000_000_000, o, h, l, c, v)))
        return out


def _in_rth(open_ns: int) -> bool:
    local = datetime.fromtimestamp(open_ns / 1e9, NEW_YORK)
    minutes = local.hour * 60 + local.minute
    return local.weekday() < 5 and 9 * 60 + 30 <= minutes < 16 * 60


# -- the server ----------------------------------------------------------------------------


class FakeTws:
    """A TWS/IB Gateway stand-in on 127.0.0.1 (see the module docstring)."""

    def __init__(
        self,
        bars: dict[str, pd.DataFrame] | None = None,
        *,
        realtime_bars: dict[str, pd.DataFrame] | None = None,
        contracts: Iterable[FakeContract] = (),
        account: str = "DU1234567",
        net_liquidation: float = 100_000.0,
        live_interval: float | None = 0.2,  # None: real time
        partial_updates: bool = True,
        pacing_violations: int = 0,
        port: int = 0,
    ):
        self.account = account
        self.net_liquidation = net_liquidation
        self.live_interval = live_interval
        self.partial_updates = partial_updates
        self.pacing_violations = pacing_violations  # answer this many history requests with error 162
        self.hold_cancels = False  # True: cancelOrder requests wait for release_cancels() (IB slow to answer)
        self.held_cancels: list[tuple[_Connection, list[str]]] = []
        self.sources = {s: BarSource(f) for s, f in (bars or {}).items()}
        self.realtime = {s: BarSource(f) for s, f in (realtime_bars or {}).items()}
        self.contracts: dict[str, FakeContract] = {}
        for i, symbol in enumerate(sorted(set(self.sources) | set(self.realtime)), start=1):
            self.contracts[symbol] = default_contract(symbol, 265598 + i)
        for c in contracts:
            self.contracts[c.symbol] = c if c.con_id else FakeContract(**{**c.__dict__, "con_id": 900000 + len(self.contracts)})
        self.requests: list[tuple[str, list[str]]] = []
        self.prices: dict[str, float] = {}  # symbol -> last close streamed live
        self.held_prices: set[str] = set()  # symbols whose price stays where move_price(hold=True) put it
        self.bar_shifts: dict[str, float] = {}  # symbol -> added to every price of its bars streamed from now on
        self.orders: dict[int, FakeOrder] = {}
        self.positions: dict[str, tuple[float, float]] = {}  # symbol -> (qty, avg cost)
        self.cash = net_liquidation
        self._next_order_id = 1
        self._next_exec = 1
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._connections: list[_Connection] = []
        self._server = socket.create_server(("127.0.0.1", port))
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name="fake-tws", daemon=True)

    # lifecycle
    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._server.close()
        for conn in list(self._connections):
            conn.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def requests_named(self, name: str) -> list[list[str]]:
        with self._lock:
            return [fields for n, fields in self.requests if n == name]

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        """Poll ``predicate()`` until true or ``timeout`` seconds pass (test helper)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return bool(predicate())

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn = _Connection(self, sock)
            self._connections.append(conn)
            threading.Thread(target=conn.run, name="fake-tws-conn", daemon=True).start()

    # orders: fills happen here, whether a client is connected or not (a crashed bot's stop still fills)
    def try_fill(self, order: FakeOrder) -> None:
        """Fill all at the last price when marketable (a market order always is; a stop once
        the price is at or beyond its trigger, at that price, as a market order would)."""
        price = self.last_close(order.contract.symbol)
        if price is None:
            return
        buy = order.action == "BUY"
        if order.order_type == "LMT" and (price > order.limit_price if buy else price < order.limit_price):
            return
        if order.order_type == "STP" and (price < order.aux_price if buy else price > order.aux_price):
            return
        with self._lock:
            if order.status not in ("PreSubmitted", "Submitted"):
                return
            qty = order.quantity - order.filled
            order.filled, order.avg_price, order.last_price, order.status = order.quantity, price, price, "Filled"
            fill = FakeFill(f"0000e1a7.{self._next_exec:08x}.01.01", datetime.now(UTC), qty, price, order.quantity, price)
            self._next_exec += 1
            order.fills.append(fill)
            held, cost = self.positions.get(order.contract.symbol, (0.0, 0.0))
            signed = qty if buy else -qty
            new = held + signed
            avg = (held * cost + signed * price) / new if new and (held >= 0) == (signed >= 0) else (cost if new else 0.0)
            self.positions[order.contract.symbol] = (new, avg)
            self.cash -= signed * price
            listeners = [c for c in self._connections if c.client_id == order.client_id and not c.closed.is_set()]
        for conn in listeners:
            conn.send_fill(order, fill)

    def move_price(self, symbol: str, price: float, *, hold: bool = False) -> None:
        """The market moves (test helper): resting orders of every client may fill, connected or not.
        ``hold``: the price stays there while bars stream on (the book apart from the bars), until the
        next move_price."""
        self.prices[symbol] = price
        (self.held_prices.add if hold else self.held_prices.discard)(symbol)
        with self._lock:
            resting = [o for o in self.orders.values()
                       if o.contract.symbol == symbol and o.status in ("PreSubmitted", "Submitted")]
        for order in resting:
            self.try_fill(order)

    def shift_bars(self, symbol: str, delta: float) -> None:
        """The bars streamed from now on are ``delta`` higher (lower if negative): the market falls or
        rises at once, for the bot's data (test helper)."""
        self.bar_shifts[symbol] = delta

    def _shifted(self, symbol: str, row: tuple) -> tuple:
        delta = self.bar_shifts.get(symbol, 0.0)
        if not delta:
            return row
        date, o, h, low, c, v = row
        return (date, round(o + delta, 2), round(h + delta, 2), round(low + delta, 2), round(c + delta, 2), v)

    def release_cancels(self) -> None:
        """Answer the cancels held so far, as IB would now (test helper; see ``hold_cancels``)."""
        self.hold_cancels = False
        with self._lock:
            held, self.held_cancels = self.held_cancels, []
        for conn, fields in held:
            conn._on_cancelOrder(fields)

    def working_orders(self, order_type: str | None = None) -> list[FakeOrder]:
        with self._lock:
            return [o for o in self.orders.values() if o.status in ("PreSubmitted", "Submitted")
                    and (order_type is None or o.order_type == order_type)]

    def last_close(self, symbol: str) -> float | None:
        """The last price of ``symbol``: the newest bar streamed live, else closed by now."""
        if symbol in self.prices:
            return self.prices[symbol]
        source = self.sources.get(symbol) or self.realtime.get(symbol)
        if source is None:
            return None
        now_ns = time.time_ns()
        idx = int((source.close_ns <= now_ns).sum()) - 1
        return float(source.frame["close"].iloc[max(idx, 0)])


class _Connection:
    """One API client session."""

    def __init__(self, server: FakeTws, sock: socket.socket):
        self.server = server
        self.sock = sock
        self.client_id = -1  # until startApi
        self.summary_req: int | None = None
        self.send_lock = threading.Lock()
        self.streams: dict[int, threading.Event] = {}  # req id -> cancel flag
        self.closed = threading.Event()

    def close(self) -> None:
        self.closed.set()
        for flag in self.streams.values():
            flag.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def send(self, *messages: bytes) -> None:
        if self.closed.is_set():
            return
        with self.send_lock:
            try:
                self.sock.sendall(b"".join(messages))
            except OSError:
                self.closed.set()

    def run(self) -> None:
        try:
            if not self._handshake():
                return
            while not self.closed.is_set() and not self.server._stop.is_set():
                header = _recv_exact(self.sock, 4)
                if header is None:
                    return
                payload = _recv_exact(self.sock, struct.unpack("!I", header)[0])
                if payload is None:
                    return
                fields = [f.decode(errors="replace") for f in payload.split(b"\0")[:-1]]
                self._dispatch(int(fields[0]), fields[1:])
        except OSError:
            return
        finally:
            self.close()

    def _handshake(self) -> bool:
        prefix = _recv_exact(self.sock, 4)
        if prefix != b"API\0":
            return False
        header = _recv_exact(self.sock, 4)
        if header is None or _recv_exact(self.sock, struct.unpack("!I", header)[0]) is None:
            return False
        now = datetime.now(UTC).strftime("%Y%m%d %H:%M:%S UTC")
        payload = f"{SERVER_VERSION}\0{now}\0".encode()
        self.send(struct.pack("!I", len(payload)) + payload)
        return True

    def _dispatch(self, msg_id: int, f: list[str]) -> None:
        name = REQUEST_NAMES.get(msg_id, f"msg{msg_id}")
        with self.server._lock:
            self.server.requests.append((name, f))
        handler = getattr(self, "_on_" + name, None)
        if handler is not None:
            handler(f)

    # -- session
    def _on_startApi(self, f: list[str]) -> None:
        client_id = int(f[1])
        with self.server._lock:
            taken = any(c is not self and not c.closed.is_set() and c.client_id == client_id
                        for c in self.server._connections)
            next_id = self.server._next_order_id
        if taken:  # as TWS does: refuse and drop the session
            self.send(msg_error(-1, 326, "Unable to connect as the client id is already in use. Retry with a unique client id."))
            self.close()
            return
        self.client_id = client_id
        self.send(
            encode(MANAGED_ACCTS, 1, self.server.account),
            encode(NEXT_VALID_ID, 1, next_id),
            *(msg_error(-1, code, text) for code, text in FARM_NOTICES),
        )

    def _on_reqIds(self, f: list[str]) -> None:
        with self.server._lock:
            next_id = self.server._next_order_id
        self.send(encode(NEXT_VALID_ID, 1, next_id))

    def _on_reqManagedAccts(self, f: list[str]) -> None:
        self.send(encode(MANAGED_ACCTS, 1, self.server.account))

    def _on_reqCurrentTime(self, f: list[str]) -> None:
        self.send(encode(CURRENT_TIME, 1, int(time.time())))

    def _on_reqMarketDataType(self, f: list[str]) -> None:
        self.send(encode(MARKET_DATA_TYPE, 1, -1, int(f[1])))

    # -- contracts
    def _on_reqContractDetails(self, f: list[str]) -> None:
        # Nautilus asks by localSymbol (symbol left empty); others by symbol.
        req_id, symbol, sec_type = int(f[1]), f[3] or f[12], f[4]
        contract = self.server.contracts.get(symbol)
        if contract is None or (sec_type and sec_type != contract.sec_type):
            self.send(msg_error(req_id, 200, "No security definition has been found for the request"))
            return
        self.send(msg_contract_details(req_id, contract), encode(CONTRACT_DATA_END, 1, req_id))

    # -- market data
    def _on_reqHistoricalData(self, f: list[str]) -> None:
        req_id, symbol = int(f[0]), f[2] or f[11]
        end_text, bar_size, duration, use_rth = f[14], f[15], f[16], f[17] == "1"
        keep_up_to_date = f[20] == "1"
        with self.server._lock:
            if self.server.pacing_violations > 0 and not keep_up_to_date:
                self.server.pacing_violations -= 1
                violation = True
            else:
                violation = False
        if violation:
            self.send(msg_error(req_id, 162, "Historical Market Data Service error message:Historical data request pacing violation"))
            return
        source = self.server.sources.get(symbol)
        if source is None:
            self.send(msg_error(req_id, 162, "Historical Market Data Service error message:HMDS query returned no data"))
            return
        try:
            size = _bar_size_seconds(bar_size)
            now = datetime.now(UTC)
            end = _parse_end(end_text, now)
            start = end - timedelta(seconds=_duration_seconds(duration))
        except ValueError as exc:
            self.send(msg_error(req_id, 321, f"Error validating request:-'{exc}'"))
            return
        bars = source.bars(size, use_rth)
        end_ns, start_ns = int(end.timestamp() * 1e9), int(start.timestamp() * 1e9)
        history = [row for close_ns, row in bars if close_ns <= end_ns and close_ns - size * 10**9 >= start_ns]
        fmt = "%Y%m%d %H:%M:%S UTC"
        self.send(
            msg_historical_data(req_id, history),
            msg_historical_data_end(req_id, start.strftime(fmt), end.strftime(fmt)),
        )
        if keep_up_to_date:
            live = [row for close_ns, row in bars if close_ns > end_ns]
            self._stream(req_id, symbol, size, live, msg_historical_update, partial=self.server.partial_updates)

    def _on_cancelHistoricalData(self, f: list[str]) -> None:
        self._cancel_stream(int(f[1]))

    def _on_reqRealTimeBars(self, f: list[str]) -> None:
        req_id, symbol = int(f[1]), f[3] or f[12]
        source = self.server.realtime.get(symbol)
        if source is None:
            self.send(msg_error(req_id, 420, f"Invalid Real-time Query: no real-time bars for {symbol}"))
            return
        now_ns = time.time_ns()
        live = [row for close_ns, row in source.bars(5, f[16] == "1") if close_ns > now_ns]
        self._stream(req_id, symbol, 5, live, msg_realtime_bar, partial=False)

    def _on_cancelRealTimeBars(self, f: list[str]) -> None:
        self._cancel_stream(int(f[1]))

    def _stream(self, req_id: int, symbol: str, size: int, rows: list[tuple], make, partial: bool) -> None:
        """Send ``rows`` as live updates: every ``live_interval`` s, or at each bar's close (None)."""
        cancel = threading.Event()
        self.streams[req_id] = cancel
        realtime = self.server.live_interval is None

        def forming(row: tuple) -> tuple:  # the bar as it starts: its open price only
            date, o, *_ = self.server._shifted(symbol, row)
            return (date, o, o, o, o, 0.0)

        def run() -> None:
            if realtime and partial and rows:
                self.send(make(req_id, forming(rows[0])))
            for i, row in enumerate(rows):
                wait = row[0] + size - time.time() if realtime else self.server.live_interval
                if cancel.wait(max(0.0, wait)) or self.closed.is_set():
                    return
                row = self.server._shifted(symbol, row)
                if partial and not realtime:
                    self.send(make(req_id, forming(row)))
                self.send(make(req_id, row))
                if partial and realtime and i + 1 < len(rows):
                    self.send(make(req_id, forming(rows[i + 1])))  # the next bar starts: publishes this one
                if symbol not in self.server.held_prices:
                    self.server.prices[symbol] = float(row[4])
                self._fill_resting(symbol)

        threading.Thread(target=run, name=f"fake-tws-stream-{req_id}", daemon=True).start()

    def _cancel_stream(self, req_id: int) -> None:
        flag = self.streams.pop(req_id, None)
        if flag is not None:
            flag.set()

    # -- account
    def _on_reqAccountSummary(self, f: list[str]) -> None:
        self.summary_req = int(f[1])  # a subscription: updated after every fill, as IB does
        self.send(*self._account_summary(self.summary_req), encode(ACCOUNT_SUMMARY_END, 1, self.summary_req))

    def _on_cancelAccountSummary(self, f: list[str]) -> None:
        self.summary_req = None

    def _account_summary(self, req_id: int) -> list[bytes]:
        srv = self.server
        with srv._lock:
            cash = srv.cash
            equity = cash + sum(q * (srv.last_close(s) or c) for s, (q, c) in srv.positions.items())
        values = {
            "NetLiquidation": equity, "TotalCashValue": cash, "FullAvailableFunds": cash,
            "AvailableFunds": cash, "BuyingPower": cash, "FullInitMarginReq": 0.0,
            "FullMaintMarginReq": 0.0, "InitMarginReq": 0.0, "MaintMarginReq": 0.0,
            "EquityWithLoanValue": equity, "GrossPositionValue": equity - cash,
        }
        return [
            *(msg_account_summary(req_id, srv.account, tag, f"{value:.2f}", "USD") for tag, value in values.items()),
            msg_account_summary(req_id, srv.account, "AccountType", "INDIVIDUAL", ""),
        ]

    def _on_reqAccountUpdates(self, f: list[str]) -> None:
        srv = self.server
        self.send(
            encode(ACCT_VALUE, 2, "NetLiquidation", f"{srv.cash:.2f}", "USD", srv.account),
            encode(ACCT_UPDATE_TIME, 1, datetime.now(UTC).strftime("%H:%M")),
            encode(ACCT_DOWNLOAD_END, 1, srv.account),
        )

    def _on_reqPositions(self, f: list[str]) -> None:
        srv = self.server
        with srv._lock:
            held = [(srv.contracts[s], q, c) for s, (q, c) in srv.positions.items() if q]
        self.send(*(msg_position(srv.account, c, q, cost) for c, q, cost in held), encode(POSITION_END, 1))

    def _on_reqOpenOrders(self, f: list[str]) -> None:
        self.send(*(self._open_order(o) for o in self._working()), encode(OPEN_ORDER_END, 1))

    _on_reqAllOpenOrders = _on_reqOpenOrders

    def _on_reqExecutions(self, f: list[str]) -> None:
        req_id = int(f[1])
        srv = self.server
        with srv._lock:
            fills = [(o, fl) for o in srv.orders.values() for fl in o.fills]
        self.send(
            *(msg_execution(req_id, o, fl, srv.account) for o, fl in fills),
            encode(EXECUTION_DATA_END, 1, req_id),
        )

    def _working(self) -> list[FakeOrder]:
        with self.server._lock:
            return [o for o in self.server.orders.values() if o.status in ("PreSubmitted", "Submitted")]

    def _open_order(self, order: FakeOrder) -> bytes:
        from support.fake_tws_orders import msg_open_order

        return msg_open_order(order)

    # -- orders
    def _on_placeOrder(self, f: list[str]) -> None:
        from support.fake_tws_orders import parse_place_order

        p = parse_place_order(f)
        srv = self.server
        order_id = int(p["orderId"])
        contract = srv.contracts.get(p["symbol"] or p["localSymbol"])
        if contract is None or contract.sec_type != "STK":
            self.send(msg_error(order_id, 200, "No security definition has been found for the request"))
            return
        if p["orderType"] not in ("MKT", "LMT", "STP"):
            self.send(msg_error(order_id, 387, f"Unsupported order type for this exchange and security type: {p['orderType']}"))
            return
        with srv._lock:
            order = srv.orders.get(order_id)
            if order is None:
                order = FakeOrder(
                    order_id=order_id, client_id=self.client_id, perm_id=1_000_000 + order_id,
                    contract=contract, action=p["action"], quantity=float(p["totalQuantity"]),
                    order_type=p["orderType"], limit_price=float(p["lmtPrice"]) if p["lmtPrice"] else None,
                    tif=p["tif"] or "DAY", order_ref=p["orderRef"], account=p["account"] or srv.account,
                    aux_price=float(p["auxPrice"]) if p["auxPrice"] else None,
                )
                srv.orders[order_id] = order
            else:  # a modification of a working order
                order.quantity = float(p["totalQuantity"])
                order.limit_price = float(p["lmtPrice"]) if p["lmtPrice"] else None
                order.aux_price = float(p["auxPrice"]) if p["auxPrice"] else None
            srv._next_order_id = max(srv._next_order_id, order_id + 1)
        self.send(self._open_order(order), msg_order_status(order))
        self._try_fill(order)

    def _on_cancelOrder(self, f: list[str]) -> None:
        srv = self.server
        if srv.hold_cancels:
            with srv._lock:
                srv.held_cancels.append((self, f))
            return
        order_id = int(f[0])
        with srv._lock:
            order = srv.orders.get(order_id)
            working = order is not None and order.status in ("PreSubmitted", "Submitted")
            if working:
                order.status = "Cancelled"
        if not working:
            self.send(msg_error(order_id, 10148, f"OrderId {order_id} that needs to be cancelled cannot be cancelled"))
            return
        self.send(msg_order_status(order), msg_error(order_id, 202, "Order Canceled - reason:"))

    def _on_reqGlobalCancel(self, f: list[str]) -> None:
        for order in self._working():
            self._on_cancelOrder([str(order.order_id)])

    def _fill_resting(self, symbol: str) -> None:
        for order in self._working():
            if order.contract.symbol == symbol:
                self._try_fill(order)

    def _try_fill(self, order: FakeOrder) -> None:
        self.server.try_fill(order)

    def send_fill(self, order: FakeOrder, fill: FakeFill) -> None:
        srv = self.server
        self.send(
            msg_execution(-1, order, fill, srv.account),
            msg_commission(fill),
            self._open_order(order),
            msg_order_status(order),
        )
        if self.summary_req is not None:
            self.send(*self._account_summary(self.summary_req))


# -- helpers for tests ---------------------------------------------------------------------


def sample_bars(start, end, base: float, *, freq: str = "1min", step: float = 0.01, seed: int = 0) -> pd.DataFrame:
    """Deterministic close-stamped bars in (start, end], prices on a 0.01 grid.

    ``start``/``end`` are anything ``pd.Timestamp`` takes (tz-aware, or naive New York
    time). A gentle random walk around ``base`` so that indicators have something to do.
    """
    import numpy as np

    lo, hi = (pd.Timestamp(t) for t in (start, end))
    lo = lo if lo.tzinfo else lo.tz_localize(NEW_YORK)
    hi = hi if hi.tzinfo else hi.tz_localize(NEW_YORK)
    index = pd.date_range(lo, hi, freq=freq, inclusive="right", name="ts").as_unit("ns")
    rng = np.random.default_rng(seed)
    close = np.round(base + np.cumsum(rng.choice([-step, 0.0, step], size=len(index))), 2)
    open_ = np.round(np.concatenate([[base], close[:-1]]), 2)
    high = np.round(np.maximum(open_, close) + 0.02, 2)
    low = np.round(np.minimum(open_, close) - 0.02, 2)
    volume = rng.integers(100, 5000, size=len(index)).astype(float)
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index)


def free_port() -> int:
    """A 127.0.0.1 port on which nothing listens (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_session(port: int, client_id: int) -> tuple[socket.socket, list[bytes]]:
    """A bare API session (handshake + startApi) holding ``client_id``, like another app would.

    Returns the socket (close it to end the session) and the fields of the first reply
    (``managedAccounts``, or error 326 when the id is taken).
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    version = b"v100..200"
    sock.sendall(b"API\0" + struct.pack("!I", len(version)) + version)

    def read() -> list[bytes]:
        size = struct.unpack("!I", _recv_exact(sock, 4))[0]
        return _recv_exact(sock, size).split(b"\0")[:-1]

    read()  # server version and connection time
    sock.sendall(encode(71, 2, client_id, ""))
    return sock, read()


def main(argv: list[str] | None = None) -> None:
    """Serve synthetic bars for manual runs: ``python tests/support/fake_tws.py --symbols AAPL,VIX``.

    Prints the port, then serves until Ctrl-C/SIGTERM: three days of 1-minute bars up to now
    and an hour ahead, live bars in real time (``--fast``: one every 0.2 s).
    """
    import argparse
    import signal
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `support.*` when run as a script
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--symbols", default="AAPL,MSFT,NVDA,AMZN,VIX")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fast", action="store_true")
    args = parser.parse_args(argv)
    now = pd.Timestamp.now(tz="UTC").floor("1min")
    bars = {
        symbol: sample_bars(now - pd.Timedelta(days=3), now + pd.Timedelta(hours=1), 14.0 if symbol == "VIX" else 100.0 + 20 * i, seed=i)
        for i, symbol in enumerate(s.strip().upper() for s in args.symbols.split(",") if s.strip())
    }
    tws = FakeTws(bars, live_interval=0.2 if args.fast else None, port=args.port).start()
    print(f"fake TWS on 127.0.0.1:{tws.port} (account {tws.account}); Ctrl-C to stop", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(10):
            print(f"requests {len(tws.requests)}, orders {len(tws.orders)}, positions {tws.positions}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        tws.stop()


if __name__ == "__main__":
    main()
