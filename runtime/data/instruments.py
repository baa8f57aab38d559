"""The symbol table: one DSL symbol -> one Nautilus instrument, everywhere.

Backtests, the replay bot and the IB live bot must agree on instrument ids, so
they all come from here. Ids follow Interactive Brokers' *simplified symbology*
as Nautilus' IB adapter builds it (``AAPL.NASDAQ``, ``BRK-B.NYSE``,
``^VIX.CBOE``): a stock is ``<local symbol, spaces as dashes>.<primary
exchange>``, an index is ``^<symbol>.<exchange>``.

Stocks become :class:`Equity` (USD, 2 decimals, tick 0.01, lot 1, zero fees);
indexes become data-only :class:`IndexInstrument` (Nautilus would still fill an
order on one, so callers must never trade a symbol for which
:func:`is_data_only` is true).

Defaults cover common US tickers and indexes; ``rbts.yaml`` overrides or adds
entries under ``symbols:``::

    symbols:
      "BRK B": {venue: NYSE}           # kind: equity | index, ib_symbol, price_precision
      SPX:     {kind: index, venue: CBOE}

A ticker in neither place is an equity on venue ``SMART`` (fine for backtests;
the IB live bot needs its primary exchange, so add it to ``rbts.yaml``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rbts.dsl.errors import RbtsError
from rbts.dsl.limits import normalize_symbol

if TYPE_CHECKING:  # heavy imports stay lazy
    from nautilus_trader.model.data import BarType
    from nautilus_trader.model.identifiers import InstrumentId

    from rbts.runtime.settings import Settings

FALLBACK_VENUE = "SMART"

_NASDAQ = (
    "AAPL MSFT NVDA AMZN GOOGL GOOG META TSLA AMD AVGO NFLX ADBE INTC CSCO PEP COST QCOM TXN AMGN "
    "SBUX PYPL INTU ISRG GILD MU AMAT LRCX ADI MDLZ BKNG REGN VRTX PANW KLAC SNPS CDNS MRVL ASML "
    "ABNB CRWD DDOG ZS TEAM WDAY FTNT MELI PDD JD BIDU CMCSA CHTR TMUS MAR ORLY CTAS PAYX ADP "
    "ROST DLTR EA WBD MNST KDP AEP EXC XEL CSX ODFL FAST PCAR IDXX DXCM BIIB ILMN MRNA COIN "
    "HOOD PLTR ARM SMCI QQQ TQQQ SQQQ"
).split()
_NYSE = (
    "JPM BAC WFC C GS MS BLK SCHW AXP V MA BRK.A BRK.B JNJ PFE MRK ABBV LLY UNH CVS TMO DHR ABT "
    "BMY MDT XOM CVX COP SLB OXY WMT HD LOW TGT KO PG PM MO MCD NKE DIS T VZ IBM ORCL CRM "
    "ACN NOW UBER SHOP SNOW BA CAT DE GE HON LMT RTX UPS FDX MMM F GM UNP NEE DUK SO "
    "SPGI MCO ICE CME PLD AMT CCI O BX KKR"
).split()
_ARCA = "SPY IWM DIA GLD SLV TLT HYG LQD XLF XLE XLK XLV XLY XLP XLI XLU XLB XLRE VXX UVXY EEM EFA VTI VOO".split()
_INDEXES = {
    "VIX": "CBOE", "VIX9D": "CBOE", "VIX3M": "CBOE", "VVIX": "CBOE", "VXN": "CBOE",
    "SPX": "CBOE", "XSP": "CBOE", "OEX": "CBOE", "NDX": "NASDAQ", "RUT": "RUSSELL", "INDU": "CME",
}  # fmt: skip


@dataclass(frozen=True)
class SymbolInfo:
    """Everything the table knows about one DSL symbol."""

    symbol: str  # as written in the DSL: AAPL, BRK.B, VIX
    venue: str
    kind: str = "equity"  # "equity" | "index"
    ib_symbol: str | None = None  # IB's local symbol; default: the DSL symbol with "." as " "
    price_precision: int = 2

    @property
    def nautilus_symbol(self) -> str:
        local = self.ib_symbol or self.symbol.replace(".", " ")
        local = local.replace(" ", "-")
        return f"^{local}" if self.kind == "index" else local

    @property
    def instrument_id_str(self) -> str:
        return f"{self.nautilus_symbol}.{self.venue}"


def _defaults() -> dict[str, SymbolInfo]:
    table: dict[str, SymbolInfo] = {}
    for venue, names in (("NASDAQ", _NASDAQ), ("NYSE", _NYSE), ("ARCA", _ARCA)):
        for name in names:
            table[name] = SymbolInfo(name, venue)
    for name, venue in _INDEXES.items():
        table[name] = SymbolInfo(name, venue, kind="index")
    return table


DEFAULT_SYMBOLS: dict[str, SymbolInfo] = _defaults()
_KNOWN_KEYS = {"venue", "kind", "ib_symbol", "price_precision"}
_VENUE_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")


def normalize(symbol: str) -> str:
    """A DSL symbol as the table keys it: ``"brk b"`` -> ``BRK.B``, ``^VIX`` -> ``VIX``."""
    return normalize_symbol(symbol)


def lookup(symbol: str, settings: Settings | None = None) -> SymbolInfo:
    """The :class:`SymbolInfo` for a DSL symbol (defaults, then ``rbts.yaml`` overrides)."""
    name = normalize(symbol)
    if not name:
        raise RbtsError("empty symbol")
    base = DEFAULT_SYMBOLS.get(name) or SymbolInfo(name, FALLBACK_VENUE)
    overrides = _overrides(settings).get(name)
    if not overrides:
        return base
    return _merge(base, overrides)


def _overrides(settings: Settings | None) -> dict[str, dict[str, Any]]:
    if settings is None or not settings.symbols:
        return {}
    if not isinstance(settings.symbols, dict):
        raise RbtsError("rbts.yaml: 'symbols' must be a mapping of SYMBOL -> {venue, kind, ...}")
    return {normalize(k): v for k, v in settings.symbols.items()}


def _merge(base: SymbolInfo, raw: Any) -> SymbolInfo:
    where = f"rbts.yaml: symbols.{base.symbol}"
    if not isinstance(raw, dict):
        raise RbtsError(f"{where}: expected a mapping like {{venue: NYSE, kind: equity}}")
    unknown = set(raw) - _KNOWN_KEYS
    if unknown:
        raise RbtsError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(_KNOWN_KEYS))})")
    venue = str(raw.get("venue", base.venue)).upper()
    if not _VENUE_RE.match(venue):
        raise RbtsError(f"{where}: bad venue {venue!r}")
    kind = str(raw.get("kind", base.kind)).lower()
    if kind not in ("equity", "index"):
        raise RbtsError(f"{where}: kind must be 'equity' or 'index', not {kind!r}")
    try:
        precision = int(raw.get("price_precision", base.price_precision))
    except (TypeError, ValueError):
        raise RbtsError(f"{where}: price_precision must be a whole number") from None
    if not 0 <= precision <= 9:
        raise RbtsError(f"{where}: price_precision must be between 0 and 9")
    ib_symbol = raw.get("ib_symbol", base.ib_symbol)
    return SymbolInfo(base.symbol, venue, kind, str(ib_symbol) if ib_symbol else None, precision)


def instrument_id(symbol: str, settings: Settings | None = None) -> InstrumentId:
    """``AAPL`` -> ``AAPL.NASDAQ``; ``VIX`` -> ``^VIX.CBOE``; ``BRK.B`` -> ``BRK-B.NYSE``."""
    from nautilus_trader.model.identifiers import InstrumentId

    return InstrumentId.from_str(lookup(symbol, settings).instrument_id_str)


def is_data_only(symbol: str, settings: Settings | None = None) -> bool:
    """True for indexes (VIX, SPX, ...): subscribed for data, never traded."""
    return lookup(symbol, settings).kind == "index"


def price_precision(symbol: str, settings: Settings | None = None) -> int:
    return lookup(symbol, settings).price_precision


def make_instrument(symbol: str, settings: Settings | None = None):
    """The Nautilus instrument for a DSL symbol: ``Equity`` or data-only ``IndexInstrument``."""
    from nautilus_trader.model.currencies import USD
    from nautilus_trader.model.instruments import Equity, IndexInstrument
    from nautilus_trader.model.objects import Price, Quantity

    info = lookup(symbol, settings)
    iid = instrument_id(symbol, settings)
    tick = Price(Decimal(1).scaleb(-info.price_precision), info.price_precision)
    if info.kind == "index":
        return IndexInstrument(iid, iid.symbol, USD, info.price_precision, 0, tick, Quantity.from_int(1), 0, 0)
    return Equity(
        iid, iid.symbol, USD, info.price_precision, tick, Quantity.from_int(1),
        ts_event=0, ts_init=0, maker_fee=Decimal(0), taker_fee=Decimal(0),
    )  # fmt: skip


_SPEC_UNITS = ((86400, "DAY"), (3600, "HOUR"), (60, "MINUTE"), (1, "SECOND"))


def bar_spec(seconds: int) -> str:
    """``60`` -> ``1-MINUTE-LAST``; ``14400`` -> ``4-HOUR-LAST``; ``30`` -> ``30-SECOND-LAST``."""
    seconds = int(seconds)
    if seconds <= 0:
        raise RbtsError(f"bar size must be positive, not {seconds} s")
    for size, unit in _SPEC_UNITS:
        if seconds % size == 0:
            return f"{seconds // size}-{unit}-LAST"
    raise AssertionError("unreachable")


# the steps Nautilus' BarType accepts per unit (any number of days); a test pins them against BarType.from_str
_STORABLE_STEPS = {"SECOND": (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30), "MINUTE": (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30),
                   "HOUR": (1, 2, 3, 4, 6, 8, 12)}
STORABLE_SIZES = "1-6, 10, 12, 15, 20 or 30 seconds or minutes, 1-4, 6, 8 or 12 hours, or whole days"


def storable_seconds(seconds: int) -> bool:
    """True if bars of this size have a Nautilus bar type (``90`` s does not: it is not ``1.5-MINUTE``)."""
    if seconds <= 0:
        return False
    step, unit = bar_spec(seconds).split("-")[:2]
    return unit == "DAY" or int(step) in _STORABLE_STEPS[unit]


def spec_seconds(spec: str) -> int:
    """Inverse of :func:`bar_spec` (``5-MINUTE-LAST`` -> 300)."""
    step, unit, *_ = spec.split("-")
    return int(step) * dict((u, s) for s, u in _SPEC_UNITS)[unit]


def bar_type(symbol: str, seconds: int = 60, settings: Settings | None = None) -> BarType:
    """External base bars, e.g. ``AAPL.NASDAQ-1-MINUTE-LAST-EXTERNAL``."""
    from nautilus_trader.model.data import BarType

    return BarType.from_str(f"{lookup(symbol, settings).instrument_id_str}-{bar_spec(seconds)}-EXTERNAL")


def symbol_of(instrument_id: InstrumentId | str, settings: Settings | None = None) -> str:
    """The DSL symbol of an instrument id (``^VIX.CBOE`` -> ``VIX``, ``BRK-B.NYSE`` -> ``BRK.B``)."""
    text = str(instrument_id)
    for name in _overrides(settings):
        if lookup(name, settings).instrument_id_str == text:
            return name
    nautilus_symbol, _, _venue = text.rpartition(".")
    for info in DEFAULT_SYMBOLS.values():
        if info.instrument_id_str == text:
            return info.symbol
    return nautilus_symbol.lstrip("^").replace("-", ".")
