"""Every order carries the cycle that decided it and why (the Live tab's fill markers read them)."""

from __future__ import annotations

import pandas as pd
from support.bt_data import PARITY_STRATEGY

from rbts.runtime.backtest.runner import run_backtest
from rbts.runtime.strategy import decision


def test_tags_round_trip_and_foreign_tags_are_ignored():
    assert decision.parse([decision.tag(1_741_013_700_000_000_000, "a+b")]) == (1_741_013_700_000_000_000, "a+b")
    assert decision.parse(['IBOrderTags:{"outsideRth": true}']) == (None, None)
    assert decision.parse(None) == (None, None)
    assert decision.parse([decision.tag(None, "flatten")]) == (None, "flatten")  # no cycle decided a flatten


def test_orders_name_their_cycle_and_rule(small_demo_home):
    result = run_backtest(PARITY_STRATEGY, "2025-03-03", "2025-03-05", home=small_demo_home)
    cycles = set(result.equity.index.as_unit("ns").asi8)
    orders = result.orders
    assert len(orders) > 4
    for row in orders.itertuples():
        decided, reason = decision.parse(row.tags)
        assert decided in cycles and decided <= int(row.ts_init)  # a cycle, never after the order
        assert reason == ("bull_cross" if row.side == "BUY" else "bear_cross")
    entries = {pd.Timestamp(t).value for t in result.trades["entry_ts"]}
    buys = [decision.parse(t)[0] for t, side, status in zip(orders["tags"], orders["side"], orders["status"])
            if side == "BUY" and status == "FILLED"]
    assert len(buys) == len(entries) and all(b <= e for b, e in zip(sorted(buys), sorted(entries)))
