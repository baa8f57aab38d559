"""The fake TWS speaks what the real ibapi reads and writes at server version 200.

Every server message kind is decoded by ``ibapi.decoder.Decoder`` (the code the
Nautilus IB adapter runs); requests are produced by the real ``ibapi.client.EClient``
and parsed by the fake.
"""

from __future__ import annotations

import struct
from decimal import Decimal

import pandas as pd
import pytest
from ibapi.client import EClient
from ibapi.contract import Contract
from ibapi.decoder import Decoder
from ibapi.order import Order
from support import fake_tws as ft
from support.fake_tws_orders import msg_open_order, parse_place_order


class Recorder:
    """An EWrapper stand-in: records every callback as (name, args)."""

    def __init__(self):
        self.calls: list[tuple[str, tuple]] = []

    def __getattr__(self, name):
        return lambda *args: self.calls.append((name, args))


def decode(message: bytes) -> list[tuple[str, tuple]]:
    size = struct.unpack("!I", message[:4])[0]
    assert size == len(message) - 4
    msg_id, *fields = message[4:].split(b"\0")[:-1]
    wrapper = Recorder()
    Decoder(wrapper, ft.SERVER_VERSION).interpret(tuple(fields), int(msg_id))
    return wrapper.calls


AAPL = ft.FakeContract("AAPL", "STK", "SMART", "NASDAQ", 265598)
VIX = ft.FakeContract("VIX", "IND", "CBOE", "", 13455763)


def test_error_and_session_messages():
    [(name, args)] = decode(ft.msg_error(-1, 2104, "Market data farm connection is OK:usfarm"))
    assert name == "error" and args[0] == -1 and args[2:4] == (2104, "Market data farm connection is OK:usfarm")
    assert decode(ft.encode(ft.MANAGED_ACCTS, 1, "DU1234567")) == [("managedAccounts", ("DU1234567",))]
    assert decode(ft.encode(ft.NEXT_VALID_ID, 1, 42)) == [("nextValidId", (42,))]


@pytest.mark.parametrize("contract", [AAPL, VIX], ids=["stock", "index"])
def test_contract_details(contract):
    [(name, (req_id, details))] = decode(ft.msg_contract_details(7, contract))
    assert (name, req_id) == ("contractDetails", 7)
    c = details.contract
    assert (c.symbol, c.secType, c.exchange, c.primaryExchange, c.conId) == (
        contract.symbol, contract.sec_type, contract.exchange, contract.primary_exchange, contract.con_id)
    assert details.minTick == 0.01 and details.timeZoneId == "US/Eastern"
    assert (details.secIdList is not None) == (contract.sec_type == "STK")  # Nautilus needs an ISIN for stocks
    assert decode(ft.encode(ft.CONTRACT_DATA_END, 1, 7)) == [("contractDetailsEnd", (7,))]


def test_contract_details_become_the_nautilus_instruments():
    from nautilus_trader.adapters.interactive_brokers.parsing.instruments import (
        contract_details_to_ib_contract_details,
        parse_instrument,
    )

    for contract, venue, want in ((AAPL, "NASDAQ", "AAPL.NASDAQ"), (VIX, "CBOE", "^VIX.CBOE")):
        [(_, (_, details))] = decode(ft.msg_contract_details(1, contract))
        assert str(parse_instrument(contract_details_to_ib_contract_details(details), venue).id) == want


def test_bar_messages():
    bar = (1709562600, 180.0, 180.05, 179.95, 180.01, 1200.0)
    [(name, (req_id, data))] = decode(ft.msg_historical_data(3, [bar]))
    assert (name, req_id, data.date, data.open, data.high, data.low, data.close, data.volume) == (
        "historicalData", 3, "1709562600", 180.0, 180.05, 179.95, 180.01, Decimal(1200))
    [(name, args)] = decode(ft.msg_historical_data_end(3, "a", "b"))
    assert (name, args) == ("historicalDataEnd", (3, "a", "b"))
    [(name, (req_id, data))] = decode(ft.msg_historical_update(3, bar))
    assert (name, data.date, data.open, data.high, data.low, data.close, data.volume) == (
        "historicalDataUpdate", "1709562600", 180.0, 180.05, 179.95, 180.01, Decimal(1200))
    [(name, args)] = decode(ft.msg_realtime_bar(4, bar))
    assert name == "realtimeBar" and args[:6] == (4, 1709562600, 180.0, 180.05, 179.95, 180.01)


def test_account_and_position_messages():
    [(name, args)] = decode(ft.msg_account_summary(9, "DU1", "NetLiquidation", "100000.00", "USD"))
    assert (name, args) == ("accountSummary", (9, "DU1", "NetLiquidation", "100000.00", "USD"))
    [(name, (account, contract, qty, cost))] = decode(ft.msg_position("DU1", AAPL, 20, 181.5))
    assert (name, account, contract.symbol, contract.conId, qty, cost) == ("position", "DU1", "AAPL", 265598, Decimal(20), 181.5)
    assert decode(ft.encode(ft.POSITION_END, 1)) == [("positionEnd", ())]
    assert decode(ft.encode(ft.OPEN_ORDER_END, 1)) == [("openOrderEnd", ())]
    assert decode(ft.encode(ft.EXECUTION_DATA_END, 1, 5)) == [("execDetailsEnd", (5,))]


def _order(status="Submitted", filled=0.0) -> ft.FakeOrder:
    return ft.FakeOrder(
        order_id=12, client_id=11, perm_id=1_000_012, contract=AAPL, action="BUY", quantity=20,
        order_type="LMT", limit_price=181.25, tif="GTD", order_ref="O-20240304-000001-001-DslStrategy-1:12",
        account="DU1", status=status, filled=filled, avg_price=181.2 if filled else 0.0,
    )


def test_open_order_and_status():
    [(name, (order_id, contract, order, state))] = decode(msg_open_order(_order()))
    assert (name, order_id, contract.symbol, contract.conId) == ("openOrder", 12, "AAPL", 265598)
    assert (order.action, order.totalQuantity, order.orderType, order.lmtPrice, order.tif) == ("BUY", Decimal(20), "LMT", 181.25, "GTD")
    assert (order.orderRef, order.account, order.permId, order.clientId) == ("O-20240304-000001-001-DslStrategy-1:12", "DU1", 1_000_012, 11)
    assert state.status == "Submitted"
    [(name, args)] = decode(ft.msg_order_status(_order("Filled", 20)))
    assert name == "orderStatus" and args[:5] == (12, "Filled", Decimal(20), Decimal(0), 181.2)


def test_execution_and_commission():
    order = _order("Filled", 20)
    fill = ft.FakeFill("0000e1a7.00000001.01.01", pd.Timestamp("2024-03-04 14:31", tz="UTC").to_pydatetime(), 20, 181.2, 20, 181.2)
    [(name, (req_id, contract, execution))] = decode(ft.msg_execution(-1, order, fill, "DU1"))
    assert (name, req_id, contract.symbol, execution.orderId, execution.execId) == ("execDetails", -1, "AAPL", 12, fill.exec_id)
    assert (execution.side, execution.shares, execution.price, execution.orderRef) == ("BOT", Decimal(20), 181.2, order.order_ref)
    assert execution.time == "20240304 14:31:00 UTC" and execution.acctNumber == "DU1"
    [(name, (report,))] = decode(ft.msg_commission(fill))
    assert (name, report.execId, report.commissionAndFees, report.currency) == ("commissionAndFeesReport", fill.exec_id, 0.0, "USD")


def _eclient() -> tuple[EClient, list[bytes]]:
    sent: list[bytes] = []

    class Conn:
        def sendMsg(self, msg):
            sent.append(msg)

        def isConnected(self):
            return True

    client = EClient(wrapper=Recorder())
    client.serverVersion_ = ft.SERVER_VERSION
    client.connState = EClient.CONNECTED
    client.conn = Conn()
    return client, sent


def _fields(message: bytes) -> list[str]:
    return [f.decode() for f in message[4:].split(b"\0")[:-1]][1:]


def test_place_order_request_is_parsed_from_the_real_client():
    client, sent = _eclient()
    contract = Contract()
    contract.secType, contract.localSymbol, contract.exchange, contract.primaryExchange, contract.currency = (
        "STK", "AAPL", "SMART", "NASDAQ", "USD")
    order = Order()
    order.action, order.totalQuantity, order.orderType, order.lmtPrice = "SELL", Decimal(15), "LMT", 99.5
    order.tif, order.account, order.orderRef = "DAY", "DU1", "O-1:7"
    client.placeOrder(7, contract, order)
    p = parse_place_order(_fields(sent[-1]))
    assert p["orderId"] == "7" and p["localSymbol"] == "AAPL" and p["secType"] == "STK"
    assert (p["action"], p["totalQuantity"], p["orderType"], p["lmtPrice"], p["tif"], p["account"], p["orderRef"]) == (
        "SELL", "15", "LMT", "99.5", "DAY", "DU1", "O-1:7")


def test_bar_source_aggregates_right_closed_and_filters_rth():
    frame = ft.sample_bars("2024-03-04 09:25", "2024-03-04 09:40", 10.0, seed=9)
    source = ft.BarSource(frame)
    minute = source.bars(60, rth_only=False)
    assert len(minute) == 15 and minute[0][1][0] == int(pd.Timestamp("2024-03-04 09:25", tz="America/New_York").timestamp())
    assert len(source.bars(60, rth_only=True)) == 10  # bars opening 09:30 .. 09:39
    five = source.bars(300, rth_only=False)
    assert [row[0] for _, row in five] == [int(pd.Timestamp(t, tz="America/New_York").timestamp()) for t in ("2024-03-04 09:25", "2024-03-04 09:30", "2024-03-04 09:35")]
    first = frame.iloc[:5]
    assert five[0][1][1:] == (first["open"].iloc[0], first["high"].max(), first["low"].min(), first["close"].iloc[-1], first["volume"].sum())
    assert source.bars(30, rth_only=False) == []  # finer than the data: IB would have none either


def test_a_client_id_in_use_is_refused_with_error_326():
    with ft.FakeTws() as tws:
        first, reply = ft.api_session(tws.port, 11)
        assert reply[:3] == [b"15", b"1", tws.account.encode()]  # managedAccounts
        second, reply = ft.api_session(tws.port, 11)
        assert reply[0] == b"4" and reply[2] == b"326"
        assert second.recv(1) == b""  # and the session is closed
        third, reply = ft.api_session(tws.port, 12)
        assert reply[0] == b"15"
        for sock in (first, second, third):
            sock.close()


def _read_message(sock) -> list[bytes]:
    size = struct.unpack("!I", ft._recv_exact(sock, 4))[0]
    return ft._recv_exact(sock, size).split(b"\0")[:-1]


def test_real_time_mode_sends_each_bar_at_its_close():
    import time

    now = pd.Timestamp.now(tz="UTC").ceil("1s")
    frame = ft.sample_bars(now - pd.Timedelta(seconds=30), now + pd.Timedelta(seconds=3), 50.0, freq="1s", seed=8)
    with ft.FakeTws({"AAPL": frame}, live_interval=None) as tws:
        sock, _ = ft.api_session(tws.port, 1)
        client, sent = _eclient()
        contract = Contract()
        contract.secType, contract.localSymbol, contract.exchange, contract.currency = "STK", "AAPL", "SMART", "USD"
        client.reqHistoricalData(5, contract, "", "60 S", "1 secs", "TRADES", 0, 2, True, [])
        sock.sendall(sent[-1])
        finals: list[tuple[int, float]] = []
        while len(finals) < 3:
            fields = _read_message(sock)
            if fields[0] == b"90" and fields[9] != b"0":  # a final historicalDataUpdate (volume > 0)
                finals.append((int(fields[3]), time.time()))
        sock.close()
    for open_s, arrived in finals:
        assert arrived >= open_s + 1  # never before the bar has closed
    assert [o for o, _ in finals] == sorted(o for o, _ in finals)
