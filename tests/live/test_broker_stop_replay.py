"""`risk: broker_stop 3%` in a replay bot and in a backtest of the same bars: the same fills
(parity), the stop resting in the store as a working STOP_MARKET order, and a swap (apply of a
new version) that keeps the resting stop instead of placing a second one.

AAPL trades at 100 from 09:31 on 2025-03-11 and falls 1 a minute from 09:36 to 90: the stop at
97 fills inside the 09:38 bar at 97, the strategy buys again at that cycle's close, and so on
down (stops at 94.09 and 91.18)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from catalogs import minute_bars, write_bars
from livetest import rbts, stop_bot, store_of, wait_for
from test_daily_loss_breaker import ny

PROTECTED = """strategy "protected"
universe: AAPL
capital: 10000
cycle: 1m
order: market
risk: broker_stop 3%
entry always: close > 0
"""


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    write_bars(home, "AAPL",
               minute_bars("2025-03-10", [100.0] * 10),
               minute_bars("2025-03-11", [100.0] * 5 + list(np.linspace(99, 90, 10)) + [90.0] * 15))
    yield home
    stop_bot(home)


@pytest.mark.slow
def test_replay_fills_equal_the_backtest_and_a_swap_keeps_the_resting_stop(home, tmp_path):
    strategy = tmp_path / "protected.rbts"
    strategy.write_text(PROTECTED)
    out = tmp_path / "bt"
    bt = rbts(home, "backtest", str(strategy), "--start", "2025-03-11", "--end", "2025-03-11", "--out", str(out))
    assert bt.returncode == 0, bt.stderr
    fills = pd.read_csv(out / "fills.csv")
    # a backtest stamps a cycle's market fill 1 ns after the cycle's instant (its rules run at T + 1 ns)
    expected = [(int(pd.Timestamp(t).value) // 10**9, side, float(q), float(p)) for t, side, q, p in
                zip(fills["ts_event"], fills["order_side"], fills["last_qty"], fills["last_px"], strict=True)]
    assert [(s, p) for _t, s, _q, p in expected][:4] == [("BUY", 100.0), ("SELL", 97.0), ("BUY", 97.0),
                                                           ("SELL", 94.09)]

    assert rbts(home, "live", str(strategy), "--start", "2025-03-11", "--speed", "10000", "--detach").returncode == 0
    wait_for(home, lambda s: s.status().get("last_cycle_ts") == ny("2025-03-11 10:00"), what="the replay's end")
    with store_of(home) as store:
        got = [(f["ts"] // 10**9, f["side"], f["qty"], f["price"]) for f in reversed(store.fills(500))]
        [resting] = store.orders(working_only=True)
    assert got == expected
    assert (resting["type"], resting["side"]) == ("STOP_MARKET", "SELL")

    # a new version (same rules, another name) adopts the resting stop: still exactly one
    strategy.write_text(PROTECTED.replace('"protected"', '"protected two"'))
    assert rbts(home, "apply", str(strategy)).returncode == 0
    wait_for(home, lambda s: s.status().get("strategy_version") == "protected-two v1", what="the new version")
    wait_for(home, lambda s: s.status().get("heartbeat", 0) > 0 and len(s.orders(working_only=True)) == 1,
             what="the store after the swap")
    with store_of(home) as store:
        [after] = store.orders(working_only=True)
    assert after["client_order_id"] == resting["client_order_id"]
    assert rbts(home, "stop").returncode == 0
