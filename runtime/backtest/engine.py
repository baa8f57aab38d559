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

import types

import pandas as pd
from nautilus_trader.backtest.engine import BacktestEngine
from nautilus_trader.backtest.models import FillModel
from nautilus_trader.config import BacktestEngineConfig, DataEngineConfig, LoggingConfig, RiskEngineConfig
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.enums import AccountType, OmsType
from nautilus_trader.model.identifiers import TraderId
from nautilus_trader.model.objects import Money

from rbts.runtime.strategy.instruments import BACKTEST_VENUE, make_bars


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


def open_positions(engine: BacktestEngine, strategy, positions: dict[str, tuple[float, float]], instruments: dict,
                   ts_ns: int) -> None:
    """Start ``strategy`` holding these positions (symbol -> (quantity, average price)), as a live bot's next
    version starts with the positions of the one before: each is opened in the cache by one fill at its
    average price (the account's cash is the engine's starting balance)."""
    from nautilus_trader.core.uuid import UUID4
    from nautilus_trader.model.enums import LiquiditySide, OrderSide, OrderType
    from nautilus_trader.model.events import OrderFilled
    from nautilus_trader.model.identifiers import AccountId, ClientOrderId, PositionId, TradeId, VenueOrderId
    from nautilus_trader.model.position import Position

    account = AccountId(f"{BACKTEST_VENUE}-001")
    for symbol, (qty, avg_px) in sorted(positions.items()):
        instrument = instruments[symbol]
        tag = f"CARRIED-{symbol}"
        fill = OrderFilled(engine.trader_id, strategy.id, instrument.id, ClientOrderId(f"O-{tag}"), VenueOrderId(tag),
                           account, TradeId(tag), PositionId(f"P-{tag}"),
                           OrderSide.BUY if qty > 0 else OrderSide.SELL, OrderType.MARKET,
                           instrument.make_qty(abs(qty)), instrument.make_price(avg_px), USD, Money(0, USD),
                           LiquiditySide.TAKER, UUID4(), ts_ns, ts_ns)
        engine.cache.add_position(Position(instrument, fill), OmsType.HEDGING)


__all__ = ["build_engine", "open_positions"]
