"""Build a Nautilus ``BacktestEngine`` for one run, in its fastest correct configuration.

* One simulated venue and one CASH account for every symbol of the run
  (:data:`BACKTEST_VENUE`): tickers listed on different exchanges still share one
  pool of cash, as they do in a real brokerage account.  Instruments are copied
  from the symbol table with only their venue replaced.
* HEDGING OMS (exits name their position), no portfolio analyzer (its returns are
  wrong for cash accounts and its per-trade cost is quadratic; metrics.py computes
  ours), risk engine bypassed (the strategy never overspends: it caps by free cash),
  ``time_bars_build_with_no_updates=False`` (no flat bars over empty intervals).
* Bars are stamped at their close, ``ts_event == ts_init``.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from nautilus_trader.backtest.engine import BacktestEngine
from nautilus_trader.backtest.models import FillModel
from nautilus_trader.config import BacktestEngineConfig, DataEngineConfig, LoggingConfig, RiskEngineConfig
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import Bar
from nautilus_trader.model.enums import AccountType, OmsType
from nautilus_trader.model.identifiers import InstrumentId, Symbol, TraderId, Venue
from nautilus_trader.model.instruments import Equity, IndexInstrument
from nautilus_trader.model.objects import Money, Price, Quantity
import types

from rbts.runtime.backtest.bars import bar_spec, bar_types_for

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
    bar_type = bar_types_for(instrument.id, (seconds,))[0][0]
    ts = frame.index.as_unit("ns").asi8.astype(np.uint64)

    def col(name: str) -> np.ndarray:  # writable copies: pandas 3 hands out read-only arrays
        return np.array(frame[name].to_numpy(np.float64), copy=True)

    return Bar.from_raw_arrays_to_list(
        bar_type, instrument.price_precision, 0, col("open"), col("high"), col("low"), col("close"),
        np.round(col("volume")), ts, ts.copy())


def _no_record_trade(self, *args, **kwargs) -> None:
    """The analyzer is unused; its record_trade concatenates a Series per closed position (O(n^2))."""


def build_engine(capital: float, instruments: dict, bars_seconds: int, frames: dict[str, pd.DataFrame],
                 trader_id: str = "RBTS-BT") -> tuple[BacktestEngine, int]:
    """An engine holding every instrument and bar of the run; returns it and the bar count."""
    engine = BacktestEngine(BacktestEngineConfig(
        trader_id=TraderId(trader_id),
        logging=LoggingConfig(log_level="ERROR", bypass_logging=True),
        data_engine=DataEngineConfig(time_bars_build_with_no_updates=False),
        risk_engine=RiskEngineConfig(bypass=True),
        run_analysis=False,
    ))
    engine.portfolio.analyzer.record_trade = types.MethodType(_no_record_trade, engine.portfolio.analyzer)
    engine.add_venue(
        venue=BACKTEST_VENUE, oms_type=OmsType.HEDGING, account_type=AccountType.CASH,
        base_currency=USD, starting_balances=[Money(capital, USD)],
        fill_model=FillModel(prob_fill_on_limit=1.0, prob_slippage=0.0, random_seed=42),
        use_message_queue=False,  # orders sent at T+1ns are filled before the cycle is recorded
    )
    total = 0
    for symbol, instrument in instruments.items():
        engine.add_instrument(instrument)
        bars = make_bars(instrument, bars_seconds, frames[symbol])
        total += len(bars)
        engine.add_data(bars, sort=False)
    engine.sort_data()
    return engine, total


__all__ = ["BACKTEST_VENUE", "bar_spec", "build_engine", "make_bars", "sim_instrument"]
