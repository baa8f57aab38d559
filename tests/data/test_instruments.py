"""The symbol table: IB simplified symbology, one instrument per DSL symbol, rbts.yaml overrides."""

import pytest

from rbts.dsl.errors import RbtsError
from rbts.runtime.data import instruments as ins
from rbts.runtime.settings import load_settings


@pytest.mark.parametrize(
    ("symbol", "iid"),
    [("AAPL", "AAPL.NASDAQ"), ("JPM", "JPM.NYSE"), ("SPY", "SPY.ARCA"), ("VIX", "^VIX.CBOE"), ("BRK.B", "BRK-B.NYSE"),
     ("brk b", "BRK-B.NYSE"), ("SPX", "^SPX.CBOE"), ("ZZZZ", "ZZZZ.SMART")],
)  # fmt: skip
def test_default_ids(symbol, iid):
    assert str(ins.instrument_id(symbol)) == iid
    assert ins.symbol_of(iid) == ins.normalize(symbol)


def test_ids_match_nautilus_ib_adapter_simplified_symbology():
    from nautilus_trader.adapters.interactive_brokers.common import IBContract
    from nautilus_trader.adapters.interactive_brokers.parsing.instruments import ib_contract_to_instrument_id

    stock = IBContract(secType="STK", symbol="AAPL", exchange="SMART", primaryExchange="NASDAQ", currency="USD")
    index = IBContract(secType="IND", symbol="VIX", exchange="CBOE", currency="USD")
    brk = IBContract(secType="STK", symbol="BRK B", localSymbol="BRK B", exchange="SMART", primaryExchange="NYSE", currency="USD")
    assert ib_contract_to_instrument_id(stock, "NASDAQ") == ins.instrument_id("AAPL")
    assert ib_contract_to_instrument_id(index, "CBOE") == ins.instrument_id("VIX")
    assert ib_contract_to_instrument_id(brk, "NYSE") == ins.instrument_id("BRK.B")


def test_instruments_stock_and_data_only_index():
    from nautilus_trader.model.instruments import Equity, IndexInstrument

    aapl, vix = ins.make_instrument("AAPL"), ins.make_instrument("VIX")
    assert isinstance(aapl, Equity) and isinstance(vix, IndexInstrument)
    assert (aapl.price_precision, str(aapl.price_increment), str(aapl.lot_size)) == (2, "0.01", "1")
    assert aapl.maker_fee == aapl.taker_fee == 0
    assert not ins.is_data_only("AAPL") and ins.is_data_only("VIX")
    assert ins.make_instrument("AAPL") == aapl  # the same instrument every time


def test_bar_types():
    assert str(ins.bar_type("AAPL", 60)) == "AAPL.NASDAQ-1-MINUTE-LAST-EXTERNAL"
    assert str(ins.bar_type("VIX", 300)) == "^VIX.CBOE-5-MINUTE-LAST-EXTERNAL"
    assert [ins.bar_spec(s) for s in (30, 3600, 14400, 86400)] == ["30-SECOND-LAST", "1-HOUR-LAST", "4-HOUR-LAST", "1-DAY-LAST"]
    assert ins.spec_seconds("15-MINUTE-LAST") == 900


def test_rbts_yaml_overrides(tmp_path):
    (tmp_path / "rbts.yaml").write_text(
        "symbols:\n  AAPL: {venue: ISLAND}\n  XYZ: {venue: nyse}\n  MYIDX: {kind: index, venue: CBOE}\n  'BF B': {venue: NYSE}\n"
    )
    s = load_settings(tmp_path)
    assert str(ins.instrument_id("AAPL", s)) == "AAPL.ISLAND"
    assert str(ins.instrument_id("XYZ", s)) == "XYZ.NYSE"
    assert str(ins.instrument_id("MYIDX", s)) == "^MYIDX.CBOE" and ins.is_data_only("MYIDX", s)
    assert str(ins.instrument_id("BF.B", s)) == "BF-B.NYSE"
    assert ins.symbol_of("AAPL.ISLAND", s) == "AAPL"


@pytest.mark.parametrize(
    ("yaml", "message"),
    [("symbols:\n  AAPL: {colour: red}\n", "unknown key"), ("symbols:\n  AAPL: {kind: bond}\n", "kind must be"),
     ("symbols:\n  AAPL: NASDAQ\n", "expected a mapping"), ("symbols:\n  AAPL: {venue: 'a b'}\n", "bad venue")],
)  # fmt: skip
def test_bad_overrides_are_user_errors(tmp_path, yaml, message):
    (tmp_path / "rbts.yaml").write_text(yaml)
    with pytest.raises(RbtsError, match=message):
        ins.instrument_id("AAPL", load_settings(tmp_path))
