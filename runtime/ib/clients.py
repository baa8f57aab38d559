"""The Interactive Brokers pieces of the live node (``rbts live --mode ib``).

:func:`ib_client_configs` turns ``Settings.ib`` (host, port, client id, account,
market data type, connection attempts) and a strategy's symbols into Nautilus' IB
data and execution client configs plus their factories, in the shape
``runtime/live/node.py`` puts into a ``TradingNodeConfig``:

    data_clients, exec_clients, factories = ib_client_configs(settings, ["AAPL", "VIX"])
    # data_clients == {"IB": InteractiveBrokersDataClientConfig(...)}
    # exec_clients == {"IB": InteractiveBrokersExecClientConfig(...)}
    # factories    == {"IB": (close-stamped data client factory, cash-balance exec client factory)}

Both clients share one socket (same host, port and client id). Instrument ids come
from the team's symbol table (``AAPL`` -> ``AAPL.NASDAQ``, ``VIX`` -> ``^VIX.CBOE``),
which is IB's simplified symbology, so the instruments IB sends match the ids in the
catalog and the strategy.

Bar timestamps: IB dates a bar by its *open*, and Nautilus' adapter keeps that as
``ts_event``. RBTS stamps every bar at its **close** (catalog, backtests, replay), so
the data client made by :func:`close_stamped_data_client_factory` converts IB bars
(warm-up requests and ``keepUpToDate`` live bars) to ``ts_event`` = close. Exactly
5-second bars come through ``reqRealTimeBars`` and keep IB's open stamp; RBTS does not
use them.

Account balances: Nautilus' IB client reports the account as total = NetLiquidation
(cash *plus* positions) and free = FullAvailableFunds. RBTS (backtests, replay, the
rule strategy, the monitor) reads an account balance as **cash** and marks positions
itself, so the execution client factory (:func:`cash_exec_client_factory`) reports
total = TotalCashValue and free = min(FullAvailableFunds, TotalCashValue): equity is
never counted twice and buying power never exceeds cash (no leverage, SPEC 2.5).

Connection attempts: the IB client connects inside ``node.build()`` and, left alone,
retries forever with back-off (5 s .. 300 s), blocking ``build()``. It reads
``IB_MAX_CONNECTION_ATTEMPTS`` when it is created, so :func:`ib_client_configs` sets
that variable for this process from ``settings.ib.max_connection_attempts``: a build
without a gateway returns after that many attempts. Once the first connection has
succeeded, the data client factory switches the client back to reconnecting without
limit, so the bot rides out IB's nightly restart. Before building, a live runner
should call :func:`rbts.runtime.ib.gateway.wait_for_gateway`, which reports "cannot reach ..." at once and
keeps probing until the gateway answers or the runner is stopped.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

from rbts.dsl.errors import RbtsError
from rbts.runtime.data import instruments

if TYPE_CHECKING:
    from rbts.runtime.settings import Settings

IB = "IB"  # the client name: config dict key == factory key (Nautilus requires it)
MARKET_DATA_TYPES = ("REALTIME", "FROZEN", "DELAYED", "DELAYED_FROZEN")


def market_data_type(name: str):
    """``"DELAYED_FROZEN"`` -> ibapi's ``MarketDataTypeEnum.DELAYED_FROZEN`` (4)."""
    from ibapi.common import MarketDataTypeEnum

    key = str(name).strip().upper()
    if key not in MARKET_DATA_TYPES:
        raise RbtsError(f"ib.market_data_type: {name!r} is not one of {', '.join(MARKET_DATA_TYPES)}")
    return getattr(MarketDataTypeEnum, key)


def identified(symbol: str, settings: Settings) -> instruments.SymbolInfo:
    """A (normalised) symbol's instrument; an error when IB cannot identify it (no primary exchange)."""
    info = instruments.lookup(symbol, settings)
    if info.venue == instruments.FALLBACK_VENUE:
        raise RbtsError(
            f"{symbol}: its primary exchange is unknown, so IB cannot identify it; "
            f"add it to rbts.yaml, e.g. symbols: {{{symbol}: {{venue: NYSE}}}}"
        )
    return info


def instrument_ids(settings: Settings, symbols: list[str]) -> list[str]:
    """The strategy's symbols as IB-simplified instrument ids, checked to be identifiable."""
    return [identified(symbol, settings).instrument_id_str
            for symbol in dict.fromkeys(instruments.normalize(s) for s in symbols)]


def instrument_provider_config(settings: Settings, symbols: list[str]):
    """Loads exactly the strategy's instruments at start-up (simplified symbology)."""
    from nautilus_trader.adapters.interactive_brokers.config import (
        InteractiveBrokersInstrumentProviderConfig,
        SymbologyMethod,
    )
    from nautilus_trader.model.identifiers import InstrumentId

    return InteractiveBrokersInstrumentProviderConfig(
        symbology_method=SymbologyMethod.IB_SIMPLIFIED,
        load_ids=frozenset(InstrumentId.from_str(i) for i in instrument_ids(settings, symbols)),
    )


def ib_client_configs(
    settings: Settings,
    symbols: list[str],
    *,
    rth_only: bool = False,
    connection_timeout: int = 60,
):
    """``(data_clients, exec_clients, factories)`` for a TradingNode trading through IB.

    ``rth_only=False`` streams extended-hours bars too (``time in ETH`` rules need them).
    ``connection_timeout`` bounds how long the clients wait for the IB client at start.
    Sets ``IB_MAX_CONNECTION_ATTEMPTS`` (see the module docstring).
    """
    from nautilus_trader.adapters.interactive_brokers.config import (
        InteractiveBrokersDataClientConfig,
        InteractiveBrokersExecClientConfig,
    )
    ib = settings.ib
    account = ib.account or os.environ.get("TWS_ACCOUNT")
    if not account:
        raise RbtsError(
            "IB account not set: add ib: {account: DU1234567} to rbts.yaml or set RBTS_IB_ACCOUNT "
            "(the account id shown in TWS / IB Gateway)"
        )
    os.environ["IB_MAX_CONNECTION_ATTEMPTS"] = str(max(1, int(ib.max_connection_attempts)))
    provider = instrument_provider_config(settings, symbols)
    common = {
        "ibg_host": ib.host,
        "ibg_port": int(ib.port),
        "ibg_client_id": int(ib.client_id),
        "instrument_provider": provider,
        "connection_timeout": int(connection_timeout),
    }
    data = InteractiveBrokersDataClientConfig(
        **common,
        use_regular_trading_hours=rth_only,
        market_data_type=market_data_type(ib.market_data_type),
    )
    execution = InteractiveBrokersExecClientConfig(**common, account_id=str(account))
    factories = {IB: (close_stamped_data_client_factory(), cash_exec_client_factory())}
    return {IB: data}, {IB: execution}, factories


def stamp_bars_at_close(ib_client) -> None:
    """Make an ``InteractiveBrokersClient`` give its bars ``ts_event`` = bar close.

    Both historical replies and live ``keepUpToDate`` updates are converted by the
    client's ``_ib_bar_to_ts_event``; its sibling ``_ib_bar_to_ts_init`` already
    computes the close (open + bar length; a daily bar ends 1 ns before midnight).
    """
    if getattr(ib_client, "_rbts_close_stamped", False):
        return

    async def ts_event_at_close(bar, bar_type) -> int:
        return await ib_client._ib_bar_to_ts_init(bar, bar_type)

    ib_client._ib_bar_to_ts_event = ts_event_at_close
    ib_client._rbts_close_stamped = True


def reconnect_without_limit_once_connected(ib_client) -> bool:
    """After a successful first connection, lift the attempt bound for later reconnects.

    The bound exists so that ``build()`` cannot hang; a bot that was connected must
    instead keep trying through a gateway restart. Returns whether it was connected.
    """
    if not ib_client.is_ready:
        return False
    ib_client._indefinite_reconnect = True
    return True


@functools.cache
def close_stamped_data_client_factory():
    """Nautilus' IB data client factory with close-stamped bars and unbounded reconnects."""
    from nautilus_trader.adapters.interactive_brokers.factories import (
        InteractiveBrokersLiveDataClientFactory,
    )

    class CloseStampedDataClientFactory(InteractiveBrokersLiveDataClientFactory):
        @staticmethod
        def create(loop, name, config, msgbus, cache, clock):
            client = InteractiveBrokersLiveDataClientFactory.create(loop, name, config, msgbus, cache, clock)
            stamp_bars_at_close(client._client)
            reconnect_without_limit_once_connected(client._client)
            return client

    return CloseStampedDataClientFactory


_CASH_TAGS = ("NetLiquidation", "FullAvailableFunds", "TotalCashValue")


def report_cash_balances(exec_client) -> None:
    """Make an IB execution client report balances as cash (see the module docstring)."""
    original = exec_client._on_account_summary
    reported: dict[tuple[str, str], float] = {}

    def on_account_summary(tag: str, value: str, currency: str) -> None:
        if tag not in _CASH_TAGS:
            return original(tag, value, currency)
        try:
            reported[(currency, tag)] = float(value)
        except ValueError:
            return original(tag, value, currency)
        cash = reported.get((currency, "TotalCashValue"))
        if cash is None:  # not known yet: pass through; the summary is rewritten once it is
            return original(tag, value, currency)
        free = min(reported.get((currency, "FullAvailableFunds"), cash), cash)
        original("TotalCashValue", repr(cash), currency)
        original("FullAvailableFunds", repr(free), currency)
        original("NetLiquidation", repr(cash), currency)

    # The client subscribes this handler when it connects, so the instance attribute is used.
    exec_client._on_account_summary = on_account_summary


@functools.cache
def cash_exec_client_factory():
    """Nautilus' IB execution client factory, reporting balances as cash."""
    from nautilus_trader.adapters.interactive_brokers.factories import (
        InteractiveBrokersLiveExecClientFactory,
    )

    class CashExecClientFactory(InteractiveBrokersLiveExecClientFactory):
        @staticmethod
        def create(loop, name, config, msgbus, cache, clock):
            client = InteractiveBrokersLiveExecClientFactory.create(loop, name, config, msgbus, cache, clock)
            report_cash_balances(client)
            return client

    return CashExecClientFactory
