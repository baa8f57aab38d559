"""A Nautilus TradingNode built from rbts.runtime.ib.clients against the fake TWS."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from rbts.dsl.errors import RbtsError
from rbts.runtime.ib import clients as ib
from rbts.runtime.ib import gateway
from rbts.runtime.settings import load_settings
from support.fake_tws import FakeTws, free_port, sample_bars

AAPL_BARS = "AAPL.NASDAQ-1-MINUTE-LAST-EXTERNAL"
AAPL_5S = "AAPL.NASDAQ-5-SECOND-LAST-EXTERNAL"
VIX_BARS = "^VIX.CBOE-1-MINUTE-LAST-EXTERNAL"


def _settings(home: Path, port: int, monkeypatch, account: str | None = "DU1234567"):
    monkeypatch.delenv("RBTS_HOME", raising=False)
    monkeypatch.setenv("RBTS_IB_PORT", str(port))
    monkeypatch.setenv("RBTS_IB_MAX_CONNECTION_ATTEMPTS", "1")
    if account:
        monkeypatch.setenv("RBTS_IB_ACCOUNT", account)
    else:
        monkeypatch.delenv("RBTS_IB_ACCOUNT", raising=False)
        monkeypatch.delenv("TWS_ACCOUNT", raising=False)
    return load_settings(home)


def test_configs_carry_the_settings(tmp_path, monkeypatch):
    settings = _settings(tmp_path, 4999, monkeypatch)
    data, execs, factories = ib.ib_client_configs(settings, ["AAPL", "vix", "AAPL"])
    assert set(data) == set(execs) == set(factories) == {ib.IB}
    d, e = data[ib.IB], execs[ib.IB]
    assert (d.ibg_host, d.ibg_port, d.ibg_client_id) == (e.ibg_host, e.ibg_port, e.ibg_client_id) == ("127.0.0.1", 4999, 11)
    assert e.account_id == "DU1234567"
    assert d.market_data_type == 4  # DELAYED_FROZEN by default
    assert d.use_regular_trading_hours is False
    assert sorted(str(i) for i in d.instrument_provider.load_ids) == ["AAPL.NASDAQ", "^VIX.CBOE"]
    assert os.environ["IB_MAX_CONNECTION_ATTEMPTS"] == "1"


def test_config_errors_are_user_errors(tmp_path, monkeypatch):
    settings = _settings(tmp_path, 4999, monkeypatch, account=None)
    with pytest.raises(RbtsError, match="IB account not set"):
        ib.ib_client_configs(settings, ["AAPL"])
    monkeypatch.setenv("RBTS_IB_ACCOUNT", "DU1")
    monkeypatch.setenv("RBTS_IB_MARKET_DATA_TYPE", "LIVE")
    with pytest.raises(RbtsError, match="ib.market_data_type: 'LIVE' is not one of"):
        ib.ib_client_configs(load_settings(tmp_path), ["AAPL"])
    with pytest.raises(RbtsError, match="ZZZQ: its primary exchange is unknown"):
        ib.instrument_ids(settings, ["ZZZQ"])


def _node(settings, symbols):
    from nautilus_trader.config import (
        LiveExecEngineConfig,
        LoggingConfig,
        TradingNodeConfig,
    )
    from nautilus_trader.live.node import TradingNode

    data, execs, factories = ib.ib_client_configs(settings, symbols, connection_timeout=20)
    asyncio.set_event_loop(asyncio.new_event_loop())  # a disposed node closes its loop
    node = TradingNode(TradingNodeConfig(
        trader_id="RBTS-IBTEST",
        logging=LoggingConfig(log_level=os.environ.get("RBTS_TEST_LOG_LEVEL", "WARNING")),
        data_clients=data,
        exec_clients=execs,
        exec_engine=LiveExecEngineConfig(reconciliation=True),
        timeout_connection=30.0,
        timeout_disconnection=5.0,
        timeout_post_stop=1.0,
    ))
    for name, (data_factory, exec_factory) in factories.items():
        node.add_data_client_factory(name, data_factory)
        node.add_exec_client_factory(name, exec_factory)
    return node


def _recorder(bar_types: list[str]):
    from nautilus_trader.common.actor import Actor
    from nautilus_trader.common.config import ActorConfig
    from nautilus_trader.model.data import BarType

    class Recorder(Actor):
        """Warm-up through request_bars, then live bars through subscribe_bars."""

        def __init__(self):
            super().__init__(ActorConfig(component_id="Recorder"))
            self.historical: list = []
            self.live: list = []

        def on_start(self):
            for text in bar_types:
                bar_type = BarType.from_str(text)
                if "SECOND" not in text:  # 5-second bars are live only (reqRealTimeBars)
                    self.request_bars(bar_type, start=self.clock.utc_now() - pd.Timedelta(minutes=30))
                self.subscribe_bars(bar_type)

        def on_historical_data(self, data):
            self.historical.append(data)

        def on_bar(self, bar):
            self.live.append(bar)

    return Recorder()


def _run_until(node, done, timeout: float) -> None:
    """Run the node on its loop until ``done()`` or ``timeout`` (a hang guard), then stop it."""
    loop = node.get_event_loop()

    async def main():
        runner = asyncio.ensure_future(node.run_async())
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline and not runner.done():
            await asyncio.sleep(0.1)
        await node.stop_async()
        await asyncio.sleep(0.5)

    loop.run_until_complete(main())


@pytest.mark.slow
def test_node_connects_loads_instruments_and_gets_warm_up_and_live_bars(tmp_path, monkeypatch):
    now = pd.Timestamp.now(tz="UTC").floor("1min")
    bars = {
        "AAPL": sample_bars(now - pd.Timedelta(hours=2), now + pd.Timedelta(minutes=6), 180.0, seed=3),
        "VIX": sample_bars(now - pd.Timedelta(hours=2), now + pd.Timedelta(minutes=6), 14.0, seed=4),
    }
    five = sample_bars(now, now + pd.Timedelta(minutes=2), 180.0, freq="5s", seed=7)
    with FakeTws(bars, realtime_bars={"AAPL": five}, live_interval=0.3) as tws:
        settings = _settings(tmp_path, tws.port, monkeypatch)
        node = _node(settings, ["AAPL", "VIX"])
        node.build()
        recorder = _recorder([AAPL_BARS, VIX_BARS, AAPL_5S])
        node.trader.add_actor(recorder)
        try:
            # live: each bar is published when the next one starts
            _run_until(node, lambda: len(recorder.live) >= 17 and len(recorder.historical) >= 56, timeout=60)
            instruments = sorted(str(i.id) for i in node.cache.instruments())
            account = node.cache.accounts()
        finally:
            node.dispose()

    assert instruments == ["AAPL.NASDAQ", "^VIX.CBOE"]
    assert account and str(account[0].id) == "IB-DU1234567"

    # warm-up: the bars of the last 30 minutes (IB: those opening in [start, end)), close-stamped,
    # equal to the source, up to the last bar closed at the request -- never a future one
    for symbol, text in (("AAPL", AAPL_BARS), ("VIX", VIX_BARS)):
        got = [b for b in recorder.historical if str(b.bar_type) == text]
        stamps = [pd.Timestamp(b.ts_event, tz="UTC") for b in got]
        assert len(got) >= 29 and stamps[-1] == now
        want = bars[symbol].loc[stamps[0]:stamps[-1]]
        assert stamps == list(want.index)
        assert [(float(b.open), float(b.high), float(b.low), float(b.close)) for b in got] == list(
            want[["open", "high", "low", "close"]].itertuples(index=False, name=None))
        assert all(b.ts_init == b.ts_event for b in got)

    # live: final values (not IB's partial updates), stamped at the bar close, in order. Nautilus
    # publishes each bar when the next one starts, beginning with the last bar closed before
    # the subscription (which the warm-up may already hold: consumers drop ts <= last seen).
    for symbol, text in (("AAPL", AAPL_BARS), ("VIX", VIX_BARS)):
        got = [b for b in recorder.live if str(b.bar_type) == text]
        stamps = [pd.Timestamp(b.ts_event, tz="UTC") for b in got]
        assert len(got) >= 5 and stamps[0] <= now + pd.Timedelta(minutes=1) and stamps[-1] > now
        want = bars[symbol].loc[stamps[0]:stamps[-1]]
        assert stamps == list(want.index)
        assert [(float(b.open), float(b.high), float(b.low), float(b.close)) for b in got] == list(
            want[["open", "high", "low", "close"]].itertuples(index=False, name=None))

    # 5-second bars (reqRealTimeBars) arrive one message per bar and keep IB's open stamp
    got = [b for b in recorder.live if str(b.bar_type) == AAPL_5S]
    assert len(got) >= 5
    opens = [pd.Timestamp(b.ts_event, tz="UTC") + pd.Timedelta(seconds=5) for b in got]
    want = five.loc[opens[0]:opens[-1]]
    assert opens == list(want.index) and [float(b.close) for b in got] == list(want["close"])

    names = [n for n, _ in tws.requests]
    for request in ("startApi", "reqContractDetails", "reqAccountSummary", "reqPositions",
                    "reqOpenOrders", "reqExecutions", "reqHistoricalData"):
        assert request in names, request
    keep_up = [f for f in tws.requests_named("reqHistoricalData") if f[20] == "1"]
    assert sorted(f[11] for f in keep_up) == ["AAPL", "VIX"]


_NO_GATEWAY_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from test_live_node import _node
    from rbts.runtime.settings import load_settings
    node = _node(load_settings({home!r}), ["AAPL"])
    node.build()
    print("BUILT", flush=True)
    node.dispose()
""")


@pytest.mark.slow
def test_without_gateway_build_returns_instead_of_hanging(tmp_path):
    """Nautilus alone retries forever inside node.build(); bounded attempts let it return."""
    script = tmp_path / "no_gateway.py"
    script.write_text(_NO_GATEWAY_SCRIPT.format(tests=str(Path(__file__).parent), home=str(tmp_path / "home")))
    env = {**os.environ, "RBTS_IB_PORT": str(free_port()), "RBTS_IB_ACCOUNT": "DU1", "RBTS_IB_MAX_CONNECTION_ATTEMPTS": "1",
           "PYTHONPATH": str(Path(__file__).parents[1])}
    env.pop("RBTS_HOME", None)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "BUILT" in result.stdout
    assert "Max connection attempts reached" in result.stdout + result.stderr


def _trader(bar_type: str, limit_offset: float):
    """Buys 10 AAPL at market on the first live bar, then rests a far limit buy and cancels it."""
    from nautilus_trader.config import StrategyConfig
    from nautilus_trader.model.data import BarType
    from nautilus_trader.model.enums import OrderSide
    from nautilus_trader.model.objects import Quantity
    from nautilus_trader.trading.strategy import Strategy

    class Trader(Strategy):
        def __init__(self):
            super().__init__(StrategyConfig(strategy_id="IbTrader", order_id_tag="001"))
            self.events: list = []
            self.stage = 0

        def on_start(self):
            self.subscribe_bars(BarType.from_str(bar_type))

        def on_bar(self, bar):
            instrument = self.cache.instrument(bar.bar_type.instrument_id)
            if self.stage == 0:
                self.stage = 1
                self.submit_order(self.order_factory.market(instrument.id, OrderSide.BUY, Quantity.from_int(10)))
            elif self.stage == 1 and self.portfolio.is_net_long(instrument.id):
                self.stage = 2
                price = instrument.make_price(float(bar.close) - limit_offset)
                self.submit_order(self.order_factory.limit(instrument.id, OrderSide.BUY, Quantity.from_int(5), price))
            elif self.stage == 2 and self.cache.orders_open(instrument_id=instrument.id):
                self.stage = 3
                self.cancel_all_orders(instrument.id)

        def on_event(self, event):
            self.events.append(type(event).__name__)

    return Trader()


@pytest.mark.slow
def test_orders_fill_and_cancel_through_the_fake_tws(tmp_path, monkeypatch):
    now = pd.Timestamp.now(tz="UTC").floor("1min")
    bars = {"AAPL": sample_bars(now - pd.Timedelta(hours=1), now + pd.Timedelta(minutes=12), 180.0, seed=5)}
    with FakeTws(bars, live_interval=0.3) as tws:
        settings = _settings(tmp_path, tws.port, monkeypatch)
        node = _node(settings, ["AAPL"])
        node.build()
        trader = _trader(AAPL_BARS, limit_offset=5.0)
        node.trader.add_strategy(trader)
        try:
            _run_until(node, lambda: "OrderCanceled" in trader.events, timeout=60)
            positions = node.cache.positions_open()
            orders = {o.order_type.name: o for o in node.cache.orders()}
            [account] = node.cache.accounts()
            currency = account.base_currency or account.currencies()[0]
            balances = float(account.balance_total(currency)), float(account.balance_free(currency))
        finally:
            node.dispose()
        fake_orders = sorted(tws.orders.values(), key=lambda o: o.order_id)

    assert trader.events[:5] == ["OrderInitialized", "OrderSubmitted", "OrderAccepted", "OrderFilled", "PositionOpened"], trader.events
    assert "OrderCanceled" in trader.events
    market, limit = orders["MARKET"], orders["LIMIT"]
    assert market.status.name == "FILLED" and float(market.filled_qty) == 10
    assert limit.status.name == "CANCELED"
    [position] = positions
    assert (str(position.instrument_id), float(position.quantity), position.side.name) == ("AAPL.NASDAQ", 10.0, "LONG")
    # what reached the "exchange": the order ref carries Nautilus' client order id
    assert [(o.action, o.quantity, o.order_type, o.status) for o in fake_orders] == [
        ("BUY", 10.0, "MKT", "Filled"), ("BUY", 5.0, "LMT", "Cancelled")]
    assert fake_orders[0].order_ref.startswith(str(market.client_order_id))
    assert float(market.avg_px) == fake_orders[0].avg_price
    assert tws.positions["AAPL"][0] == 10.0
    # the account summary subscription was updated after the fill, and the balance is cash
    # (IB's NetLiquidation would count the 10 shares again): what is left after paying for them
    cash = 100_000.0 - 10 * fake_orders[0].avg_price
    assert balances == (pytest.approx(cash), pytest.approx(cash)) and tws.cash == pytest.approx(cash)


def test_wait_for_gateway_reports_then_returns_when_it_answers(tmp_path, monkeypatch):
    import threading

    port = free_port()
    settings = _settings(tmp_path, port, monkeypatch)
    reports: list[str] = []
    stop = threading.Event()
    assert gateway.wait_for_gateway(settings, report=reports.append, stop=_set_after(stop, reports, 2), interval=0.05) is False
    assert reports[0] == gateway.unreachable_message(settings) + "; retrying every 0.05 s"
    assert f"cannot reach IB Gateway/TWS at 127.0.0.1:{port} — is it running, API enabled?" in reports[0]

    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(gateway.wait_for_gateway(settings, interval=0.05)))
    waiter.start()
    with FakeTws(port=port):
        waiter.join(timeout=30)
    assert result == [True]


def _set_after(stop, reports, n):
    """A stop event that is set once ``reports`` holds ``n`` entries."""
    import threading

    class Stop:
        def wait(self, timeout):
            if len(reports) >= n:
                stop.set()
            return stop.wait(timeout)

    return Stop() if isinstance(stop, threading.Event) else stop


@pytest.mark.slow
def test_the_bot_reconnects_after_a_gateway_restart(tmp_path, monkeypatch):
    now = pd.Timestamp.now(tz="UTC").floor("1min")
    bars = {"AAPL": sample_bars(now - pd.Timedelta(hours=1), now + pd.Timedelta(minutes=30), 180.0, seed=6)}
    first = FakeTws(bars, live_interval=0.3).start()
    port = first.port
    second = None
    try:
        settings = _settings(tmp_path, port, monkeypatch)  # one connection attempt at build
        node = _node(settings, ["AAPL"])
        node.build()
        recorder = _recorder([AAPL_BARS])
        node.trader.add_actor(recorder)
        state = {"restarted": False}

        def done() -> bool:
            nonlocal second
            if not state["restarted"] and len(recorder.live) >= 2:
                first.stop()  # the nightly restart: the socket drops ...
                state["restarted"], state["at"] = True, time.monotonic()
            # Nautilus notices the drop within ~1 s and retries ~5 s later: that first
            # attempt must find nothing, so the gateway stays down for 8 s
            elif state["restarted"] and second is None and time.monotonic() - state["at"] > 8:
                second = FakeTws(bars, live_interval=0.3, port=port).start()  # ... and comes back later
            return second is not None and any(f[20] == "1" for f in second.requests_named("reqHistoricalData"))

        try:
            _run_until(node, done, timeout=90)
        finally:
            node.dispose()
        # the first reconnect attempt found nothing listening; a later one (beyond the bound
        # used at build) reached the restarted gateway, and the bar feed was resubscribed
        assert second is not None
        assert second.requests_named("startApi")
        assert [f[11] for f in second.requests_named("reqHistoricalData") if f[20] == "1"] == ["AAPL"]
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_ib_balances_are_reported_as_cash():
    class ExecClient:  # Nautilus' handler keeps the last value of each tag per currency
        def __init__(self):
            self.summary: dict[str, float] = {}

        def _on_account_summary(self, tag, value, currency):
            self.summary[tag] = float(value)

    client = ExecClient()
    ib.report_cash_balances(client)
    # a margin account holding stock: equity 150k, cash 50k, margin buying power 200k
    for tag, value in (("NetLiquidation", "150000"), ("FullAvailableFunds", "200000"), ("TotalCashValue", "50000"),
                       ("FullInitMarginReq", "0")):
        client._on_account_summary(tag, value, "USD")
    assert client.summary == {"NetLiquidation": 50_000.0, "FullAvailableFunds": 50_000.0,
                              "TotalCashValue": 50_000.0, "FullInitMarginReq": 0.0}
    client._on_account_summary("NetLiquidation", "151000", "USD")  # a later mark-to-market
    client._on_account_summary("FullAvailableFunds", "30000", "USD")  # cash tied up in orders
    assert (client.summary["NetLiquidation"], client.summary["FullAvailableFunds"]) == (50_000.0, 30_000.0)
