"""A small, deterministic catalog for the live tests (until/besides the demo data set).

Random-walk 1-minute RTH bars for a few stocks on NASDAQ and VIX on CBOE,
stamped at bar close, written into a Nautilus ParquetDataCatalog.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.identifiers import InstrumentId, Symbol, Venue
from nautilus_trader.model.instruments import Equity, IndexInstrument
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.persistence.catalog import ParquetDataCatalog

STOCKS = ("AAPL", "MSFT")


def rth_minutes(days: list[str]) -> pd.DatetimeIndex:
    out = []
    for day in days:
        start = pd.Timestamp(f"{day} 09:31", tz="America/New_York")
        out.append(pd.date_range(start, periods=390, freq="1min"))
    return out[0].append(out[1:]).tz_convert("UTC")


def instruments():
    stocks = [
        Equity(InstrumentId(Symbol(s), Venue("NASDAQ")), Symbol(s), USD, 2, Price.from_str("0.01"),
               Quantity.from_int(1), ts_event=0, ts_init=0)
        for s in STOCKS
    ]
    vix = IndexInstrument(InstrumentId(Symbol("^VIX"), Venue("CBOE")), Symbol("^VIX"), USD, 2, 0,
                          Price.from_str("0.01"), Quantity.from_int(1), 0, 0)
    return stocks + [vix]


def bars_for(instrument, index: pd.DatetimeIndex, seed: int, start: float) -> list[Bar]:
    rng = np.random.default_rng(seed)
    close = np.round(start * np.exp(np.cumsum(rng.normal(0, 0.0015, len(index)))), 2)
    open_ = np.round(np.r_[close[0], close[:-1]], 2)
    spread = np.round(np.abs(rng.normal(0, 0.0008, len(index))) * close, 2) + 0.01
    high = np.maximum(open_, close) + spread
    low = np.minimum(open_, close) - spread
    vol = np.full(len(index), 10_000.0)
    ts = index.as_unit("ns").asi8.astype(np.uint64)
    bt = BarType.from_str(f"{instrument.id}-1-MINUTE-LAST-EXTERNAL")
    c = lambda a: np.array(a, dtype=np.float64, copy=True)  # noqa: E731
    return Bar.from_raw_arrays_to_list(bt, 2, 0, c(open_), c(high), c(low), c(close), c(vol), ts, ts)


def write_catalog(path: Path, days=("2024-03-04", "2024-03-05", "2024-03-06")) -> Path:
    catalog = ParquetDataCatalog(str(path))
    insts = instruments()
    catalog.write_data(insts)
    index = rth_minutes(list(days))
    for i, inst in enumerate(insts):
        catalog.write_data(bars_for(inst, index, seed=i + 1, start=15.0 if "VIX" in str(inst.id) else 100.0 + 50 * i))
    return path
