"""Order messages of the fake TWS (tests/support/fake_tws.py) at server version 200.

``placeOrder`` is read by position (the prefix before any variable-length part, as
``ibapi.client.EClient.placeOrder`` writes it at v200). ``openOrder`` is written in the
order ``ibapi.decoder.Decoder.processOpenOrder`` reads it at v200 for a plain stock
order (no combo legs, algo, conditions or delta-neutral parts): :data:`OPEN_ORDER_LAYOUT`
lists its 147 fields as ``name:kind`` (kinds: i int, f float, u float/int that may be
unset, b bool, s str, d Decimal). It was recorded from the installed decoder and is
checked against it in tests/ib/test_fake_tws.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from support.fake_tws import FakeOrder

OPEN_ORDER = 5

OPEN_ORDER_LAYOUT = (  # noqa: SIM905 (one readable block; recorded from the decoder)
    "orderId:i conId:i symbol:s secType:s lastTradeDateOrContractMonth:s strike:f right:s "
    "multiplier:s exchange:s currency:s localSymbol:s tradingClass:s action:s totalQuantity:d "
    "orderType:s lmtPrice:u auxPrice:u tif:s ocaGroup:s account:s openClose:s origin:i "
    "orderRef:s clientId:i permId:i outsideRth:b hidden:b discretionaryAmt:f goodAfterTime:s "
    "_sharesAllocation:s faGroup:s faMethod:s faPercentage:s modelCode:s goodTillDate:s "
    "rule80A:s percentOffset:u settlingFirm:s shortSaleSlot:i designatedLocation:s "
    "exemptCode:i auctionStrategy:i startingPrice:u stockRefPrice:u delta:u stockRangeLower:u "
    "stockRangeUpper:u displaySize:u blockOrder:b sweepToFill:b allOrNone:b minQty:u "
    "ocaType:i _eTradeOnly:b _firmQuoteOnly:b _nbboPriceCap:u parentId:i triggerMethod:i "
    "volatility:u volatilityType:i deltaNeutralOrderType:s deltaNeutralAuxPrice:u "
    "continuousUpdate:b referencePriceType:i trailStopPrice:u trailingPercent:u basisPoints:u "
    "basisPointsType:u comboLegsDescrip:s comboLegsCount:i orderComboLegsCount:i "
    "smartComboRoutingParamsCount:i scaleInitLevelSize:u scaleSubsLevelSize:u "
    "scalePriceIncrement:u hedgeType:s optOutSmartRouting:b clearingAccount:s "
    "clearingIntent:s notHeld:b deltaNeutralContractPresent:b algoStrategy:s solicited:b "
    "whatIf:b status:s initMarginBefore:s maintMarginBefore:s equityWithLoanBefore:s "
    "initMarginChange:s maintMarginChange:s equityWithLoanChange:s initMarginAfter:s "
    "maintMarginAfter:s equityWithLoanAfter:s commissionAndFees:u minCommissionAndFees:u "
    "maxCommissionAndFees:u commissionAndFeesCurrency:s marginCurrency:s "
    "initMarginBeforeOutsideRTH:u maintMarginBeforeOutsideRTH:u "
    "equityWithLoanBeforeOutsideRTH:u initMarginChangeOutsideRTH:u "
    "maintMarginChangeOutsideRTH:u equityWithLoanChangeOutsideRTH:u "
    "initMarginAfterOutsideRTH:u maintMarginAfterOutsideRTH:u equityWithLoanAfterOutsideRTH:u "
    "suggestedSize:d rejectReason:s accountsCount:i warningText:s randomizeSize:b "
    "randomizePrice:b conditionsSize:i adjustedOrderType:s triggerPrice:f trailStopPrice:f "
    "lmtPriceOffset:f adjustedStopPrice:f adjustedStopLimitPrice:f adjustedTrailingAmount:f "
    "adjustableTrailingUnit:i name:s value:s displayName:s cashQty:f "
    "dontUseAutoPriceForHedge:b isOmsContainer:b discretionaryUpToLimitPrice:b "
    "usePriceMgmtAlgo:b duration:u postToAts:u autoCancelParent:b minTradeQty:u "
    "minCompeteSize:u competeAgainstBestOffset:u midOffsetAtWhole:u midOffsetAtHalf:u "
    "customerAccount:s professionalCustomer:b bondAccruedInterest:s includeOvernight:b "
    "extOperator:s manualOrderIndicator:u submitter:s imbalanceOnly:b"
).split()

_DEFAULTS = {"i": "0", "f": "0", "u": "", "b": "0", "s": "", "d": ""}

# placeOrder at v200: positions of the fields the fake uses (no version field from v145).
PLACE_ORDER_FIELDS = {
    "orderId": 0, "conId": 1, "symbol": 2, "secType": 3, "exchange": 8, "primaryExchange": 9,
    "currency": 10, "localSymbol": 11, "action": 15, "totalQuantity": 16, "orderType": 17,
    "lmtPrice": 18, "auxPrice": 19, "tif": 20, "account": 22, "orderRef": 25,
}


def parse_place_order(fields: list[str]) -> dict[str, str]:
    """The fields of a ``placeOrder`` request the fake needs, by name."""
    return {name: fields[i] for name, i in PLACE_ORDER_FIELDS.items()}


def open_order_values(order: FakeOrder) -> dict[str, object]:
    c = order.contract
    return {
        "orderId": order.order_id, "conId": c.con_id, "symbol": c.symbol, "secType": c.sec_type,
        "exchange": c.exchange, "currency": c.currency, "localSymbol": c.symbol, "tradingClass": c.symbol,
        "action": order.action, "totalQuantity": _qty(order.quantity), "orderType": order.order_type,
        "lmtPrice": "" if order.limit_price is None else repr(float(order.limit_price)),
        "auxPrice": "" if order.aux_price is None else repr(float(order.aux_price)),
        "tif": order.tif, "account": order.account, "orderRef": order.order_ref,
        "clientId": order.client_id, "permId": order.perm_id, "status": order.status,
        "origin": 0, "ocaType": 3, "triggerMethod": 0, "exemptCode": -1,
    }


def msg_open_order(order: FakeOrder) -> bytes:
    from support.fake_tws import encode

    values = open_order_values(order)
    fields = []
    for entry in OPEN_ORDER_LAYOUT:
        name, kind = entry.split(":")
        fields.append(values.get(name, _DEFAULTS[kind]))
    return encode(OPEN_ORDER, *fields)


def _qty(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
