"""The max_daily_loss breaker in the live bot (replay), on a hand-made crash day.

AAPL trades at 100 until 09:35 on 2025-03-11, falls 1 a minute to 90, then recovers to 100;
the next day it opens at 92.  The strategy buys whenever it is flat (market orders, all in:
100 shares) with ``risk: max_daily_loss 2%``: at the 09:37 cycle (close 98) equity is 2% below
the session's start, so the breaker trips: one event, the position sold at market in that
cycle at that bar's close, and no entry for the rest of the day although the entry rule stays
true; the next session buys again.  Then `rbts flatten` closes that position too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from catalogs import minute_bars, write_bars
from livetest import flatten_and_wait, rbts, stop_bot, store_of, wait_for

from rbts.runtime.live.store import TERMINAL_ORDER_STATES

CRASH = """strategy "crash"
universe: AAPL
capital: 10000
cycle: 1m
order: market
risk: max_daily_loss 2%
entry always: close > 0
"""


def ny(text: str) -> int:
    return int(pd.Timestamp(text, tz="America/New_York").as_unit("ns").value)


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    write_bars(home, "AAPL",
               minute_bars("2025-03-10", [100.0] * 10),  # history before the replay start
               minute_bars("2025-03-11", [100.0] * 5 + list(np.linspace(99, 90, 10)) + list(np.linspace(91, 100, 15))),
               minute_bars("2025-03-12", [92.0] * 10))
    yield home
    stop_bot(home)


@pytest.mark.slow
def test_breaker_trips_flattens_in_its_cycle_and_waits_for_the_next_session(home, tmp_path):
    strategy = tmp_path / "crash.rbts"
    strategy.write_text(CRASH)
    started = rbts(home, "live", str(strategy), "--start", "2025-03-11", "--speed", "10000", "--detach")
    assert started.returncode == 0, started.stderr
    wait_for(home, lambda s: s.status().get("last_cycle_ts") == ny("2025-03-12 09:40"), what="the end of the replay")

    with store_of(home) as store:
        trips = [e for e in store.events() if e["kind"] == "max_daily_loss"]
        fills = [(f["ts"], f["side"], f["qty"], f["price"]) for f in reversed(store.fills())]
        orders = store.orders()
    assert len(trips) == 1 and trips[0]["level"] == "WARNING"
    assert trips[0]["ts"] == ny("2025-03-11 09:37") and "max_daily_loss 2.00%" in trips[0]["message"]
    assert fills[:2] == [(ny("2025-03-11 09:31"), "BUY", 100.0, 100.0),
                         (ny("2025-03-11 09:37"), "SELL", 100.0, 98.0)]  # flat within the trip's cycle
    # nothing more that day, although `entry always` stayed true; the next session trades again
    assert fills[2][0] == ny("2025-03-12 09:31") and fills[2][1] == "BUY" and len(fills) == 3
    assert all(o["status"] in TERMINAL_ORDER_STATES for o in orders)
    # each cycle's record carries that cycle's equity and day PnL (issue #16 defect 5: the status
    # said `day +0.00` after a trip): -200 from the trip's cycle to the session's end, 0 the next day
    with store_of(home) as store:
        marks = {r["ts"]: (r["equity"], r["day_pnl"], r["positions"]) for r in store.equity(1000)}
    assert marks[ny("2025-03-11 09:36")] == (9_900.0, -100.0, {"AAPL": {"qty": 100.0, "avg_px": 100.0}})
    assert marks[ny("2025-03-11 09:37")] == (9_800.0, -200.0, {})
    assert marks[ny("2025-03-11 10:00")] == (9_800.0, -200.0, {})
    assert marks[ny("2025-03-12 09:40")][:2] == (9_800.0, 0.0)

    flatten_and_wait(home)
    with store_of(home) as store:
        last = store.fills(1)[0]
        assert (last["side"], last["qty"], last["price"]) == ("SELL", fills[2][2], 92.0)
        assert store.orders(working_only=True) == []
    assert rbts(home, "stop").returncode == 0
