"""The run's own copies of instruments on the one simulated venue, and Nautilus bars from frames.

Backtests and the replay bot both trade every ticker on :data:`BACKTEST_VENUE` (one
cash account for the whole universe).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import Bar
from nautilus_trader.model.identifiers import InstrumentId, Symbol, Venue
from nautilus_trader.model.instruments import Equity, IndexInstrument
from nautilus_trader.model.objects import Price, Quantity

from rbts.runtime.strategy.bars import external_bar_type

BACKTEST_VENUE = Venue("RBTS")


def sim_instrument(symbol: str, template=None, data_only: bool = False, fee: float = 0.0):
    """The run's copy of a symbol's instrument, on the one backtest venue.

    ``template`` is the symbol table's instrument (kept: its symbol and precision);
    without one, a USD equity with 2 decimals (or an index when ``data_only``).
    """
    name = template.id.symbol.value if template is not None else symbol
    precision = template.price_precision if template is not None else 2
    increment = Price(10 ** -precision, precision)
    iid = InstrumentId(Symbol(name), BACKTEST_VENUE)
    if data_only or isinstance(template, IndexInstrument):
        return IndexInstrument(iid, Symbol(name), USD, precision, 0, increment, Quantity.from_int(1), 0, 0)
    fee_dec = Decimal(str(fee))
    return Equity(iid, Symbol(name), USD, precision, increment, Quantity.from_int(1),
                  ts_event=0, ts_init=0, maker_fee=fee_dec, taker_fee=fee_dec)


def make_bars(instrument, seconds: int, frame: pd.DataFrame) -> list[Bar]:
    """Nautilus bars from a frame indexed by UTC bar-close time (columns open..volume)."""
    kind = external_bar_type(instrument.id, seconds)
    ts = frame.index.as_unit("ns").asi8.astype(np.uint64)

    def col(name: str) -> np.ndarray:  # writable copies: pandas 3 hands out read-only arrays
        return np.array(frame[name].to_numpy(np.float64), copy=True)

    return Bar.from_raw_arrays_to_list(
        kind, instrument.price_precision, 0, col("open"), col("high"), col("low"), col("close"),
        np.round(col("volume")), ts, ts.copy())
