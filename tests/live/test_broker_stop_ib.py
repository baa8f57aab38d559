"""`risk: broker_stop 5%` against the fake TWS (tests/support/fake_tws.py, which rests STP orders
and fills them once the price reaches the trigger, whether a client is connected or not).

* the entry's fill puts a GTC STP SELL for the whole position at 5% below the average entry at IB;
* an exit rule cancels it at IB before selling, so the shares are never sold twice (the fake's
  position never goes below zero); (a swap keeping the stop: tests/live/test_broker_stop_replay.py);
* the bot is killed (kill -9) with the stop resting; the price falls through it; IB fills it
  while no bot runs: the position is closed at the broker;
* a bot resumed after a kill -9 adopts the stop reconciled from IB (no second stop; its exit
  cancels that stop);
* `rbts flatten` sells only once IB has answered the stop's cancel (held by the fake): a stop
  that fills meanwhile is the only sale.
"""

from __future__ import annotations

import os
import signal
import time

import pandas as pd
import pytest
from livetest import ib_bars, rbts, start_ib, store_of, wait_for, wait_for_tws
from support.fake_tws import FakeTws

from rbts.runtime.live import control
from rbts.runtime.settings import load_settings

PROTECTED = """strategy "ib protected"
universe: AAPL
capital: 10000
bars: 30s
cycle: 30s
order: market
risk: broker_stop 5%
entry warm: ema(close, 5) > 0
"""
AHEAD = pd.Timedelta(hours=2)  # the fake TWS's 30 s bars end this far ahead (streamed fast: minutes of cycles)


@pytest.fixture
def home(ib_home):
    (ib_home.parent / "v1.rbts").write_text(PROTECTED)
    return ib_home


def _resting_stop(tws):
    stops = tws.working_orders("STP")
    return stops[0] if len(stops) == 1 else None


def _check_stop_at_ib(tws):
    stop = wait_for_tws(tws, lambda: _resting_stop(tws), "the stop resting at IB")
    [entry] = [o for o in tws.orders.values() if o.action == "BUY"]
    assert (stop.action, stop.tif, stop.quantity) == ("SELL", "GTC", entry.quantity)
    assert stop.aux_price == pytest.approx(round(entry.avg_price * 0.95, 2), abs=0.011)
    return stop


@pytest.mark.slow
def test_the_stop_rests_at_ib_and_an_exit_cancels_it_before_selling(home, monkeypatch):
    (home.parent / "v1.rbts").write_text(PROTECTED + "exit next: close > 0\n")  # sells at the next cycle
    with FakeTws(ib_bars(AHEAD), live_interval=1.0) as tws:
        start_ib(home, home.parent / "v1.rbts", tws.port, monkeypatch)
        stop = _check_stop_at_ib(tws)
        wait_for_tws(tws, lambda: stop.status == "Cancelled", "the exit to cancel the stop at IB")
        wait_for_tws(tws, lambda: [o for o in tws.orders.values()
                                   if (o.action, o.order_type, o.status) == ("SELL", "MKT", "Filled")],
                     "the exit's market sell, after the cancel")
        [sell] = [o for o in tws.orders.values() if o.action == "SELL" and o.order_type == "MKT"][:1]
        assert sell.order_id > stop.order_id and sell.quantity == stop.quantity
        cancel_at = next(i for i, (n, f) in enumerate(tws.requests) if n == "cancelOrder")
        sell_at = next(i for i, (n, f) in enumerate(tws.requests) if n == "placeOrder" and int(f[0]) == sell.order_id)
        assert cancel_at < sell_at  # the cancel went first
        assert stop.fills == [] and tws.positions["AAPL"][0] >= 0  # never sold twice
        assert rbts(home, "stop").returncode == 0


@pytest.mark.slow
def test_a_crashed_bot_s_stop_still_fills_at_the_broker(home, monkeypatch):
    with FakeTws(ib_bars(AHEAD), live_interval=1.0) as tws:
        start_ib(home, home.parent / "v1.rbts", tws.port, monkeypatch)
        stop = _check_stop_at_ib(tws)
        held = tws.positions["AAPL"][0]
        assert held > 0
        pid = control.bot_pid(load_settings(home))
        os.kill(pid, signal.SIGKILL)  # the bot dies; nothing cancels anything
        wait_for(home, lambda _s: control.bot_pid(load_settings(home)) is None, what="the bot gone")
        assert stop.status == "Submitted"  # still resting at IB

        tws.move_price("AAPL", round(stop.aux_price - 0.50, 2))  # the market falls through the stop
        assert stop.status == "Filled" and stop.fills[0].price == round(stop.aux_price - 0.50, 2)
        assert stop.fills[0].quantity == held and tws.positions["AAPL"][0] == 0  # protected: flat at IB


@pytest.mark.slow
def test_a_bot_resumed_after_a_crash_adopts_the_stop_resting_at_ib(home, monkeypatch):
    """kill -9 with the stop resting at IB; `rbts restart` reconciles the stop into the bot's strategy
    (not Nautilus' EXTERNAL one): no second stop is placed, and the next version's exit cancels that
    very stop at IB before it sells."""
    settings = load_settings(home)
    (home.parent / "exit.rbts").write_text(PROTECTED + "exit next: close > 0\n")
    # bars in real time: a version applied later cycles at the next 30 s (the fast stream runs ahead
    # of the wall clock, and the cycles of a version applied late are minutes away)
    with FakeTws(ib_bars(AHEAD), live_interval=None) as tws:
        start_ib(home, home.parent / "v1.rbts", tws.port, monkeypatch)
        stop = _check_stop_at_ib(tws)
        os.kill(control.bot_state(settings).pid, signal.SIGKILL)
        wait_for(home, lambda _s: control.bot_state(settings).state == "died", what="run 1 dead")

        restarted = rbts(home, "restart")
        assert restarted.returncode == 0, restarted.stderr
        wait_for(home, lambda s: s.status().get("run") == 2 and s.status().get("strategy_version") == "ib-protected v1"
                 and s.latest_cycle(), timeout=90, what="run 2 running v1 and cycling")
        working = wait_for(home, lambda s: [o for o in s.orders(working_only=True) if o["type"] == "STOP_MARKET"],
                           timeout=30, what="the stop among run 2's working orders")
        time.sleep(3)  # a few more cycles: a strategy that did not own the stop would place its own now
        assert [o.order_id for o in tws.orders.values() if o.order_type == "STP"] == [stop.order_id]
        assert stop.status == "Submitted" and len(working) == 1

        applied = rbts(home, "apply", str(home.parent / "exit.rbts"))
        assert applied.returncode == 0, applied.stderr
        wait_for_tws(tws, lambda: stop.status == "Cancelled", "the exit to cancel the adopted stop at IB")
        sell = wait_for_tws(tws, lambda: next((o for o in tws.orders.values() if (o.action, o.order_type, o.status)
                                               == ("SELL", "MKT", "Filled")), None), "the exit's market sell")
        cancel_at = next(i for i, (n, f) in enumerate(tws.requests) if n == "cancelOrder" and int(f[0]) == stop.order_id)
        sell_at = next(i for i, (n, f) in enumerate(tws.requests) if n == "placeOrder" and int(f[0]) == sell.order_id)
        assert cancel_at < sell_at and stop.fills == [] and tws.positions["AAPL"][0] == 0
        assert rbts(home, "stop").returncode == 0


def _market_sells(tws):
    return [o for o in tws.orders.values() if (o.action, o.order_type) == ("SELL", "MKT")]


@pytest.mark.slow
def test_a_flatten_sells_only_once_the_stop_s_cancel_is_answered(home, monkeypatch):
    """`rbts flatten` cancels the stop at IB and sells only once IB has answered the cancel. IB holds
    the cancel here: (1) the price falls through the stop meanwhile, the stop fills, the cancel is
    refused: nothing more is sold (before, the flatten's market sell went out with the cancel and
    the position went short); (2) after a new entry, the cancel is confirmed: then the sell goes."""
    with FakeTws(ib_bars(AHEAD), live_interval=None) as tws:  # real time: the re-applied version cycles soon
        start_ib(home, home.parent / "v1.rbts", tws.port, monkeypatch)
        stop = _check_stop_at_ib(tws)
        held = tws.positions["AAPL"][0]
        tws.hold_cancels = True
        assert rbts(home, "flatten", "--yes").returncode == 0
        wait_for_tws(tws, lambda: tws.held_cancels, "the flatten's cancel of the stop")
        time.sleep(2)
        assert _market_sells(tws) == []  # the sell waits for IB's answer to the cancel
        tws.move_price("AAPL", round(stop.aux_price - 0.50, 2))  # meanwhile the market falls through the stop
        assert stop.status == "Filled" and stop.fills[0].quantity == held
        tws.release_cancels()  # IB: cannot be cancelled, it filled
        wait_for(home, lambda s: not s.positions(), timeout=60, what="flat in the store")
        time.sleep(2)
        assert _market_sells(tws) == [] and tws.positions["AAPL"][0] == 0  # sold once, never short

        tws.hold_cancels = True
        assert rbts(home, "apply", str(home.parent / "v1.rbts")).returncode == 0  # trade again: a new entry
        stop = wait_for_tws(tws, lambda: _resting_stop(tws), "the new entry's stop")
        assert rbts(home, "flatten", "--yes").returncode == 0
        wait_for_tws(tws, lambda: tws.held_cancels, "the flatten's cancel of the new stop")
        time.sleep(2)
        assert _market_sells(tws) == []
        tws.release_cancels()  # IB confirms the cancel: now the flatten sells
        [sell] = wait_for_tws(tws, lambda: [o for o in _market_sells(tws) if o.status == "Filled"], "the flatten's sell")
        assert stop.status == "Cancelled" and stop.fills == [] and tws.positions["AAPL"][0] == 0
        assert rbts(home, "stop").returncode == 0


BREAKER = """strategy "ib breaker"
universe: AAPL
capital: 10000
bars: 30s
cycle: 30s
order: limit 1% ttl 10m
risk: max_daily_loss 2%
entry warm: ema(close, 5) > 0
exit next: close > 0
"""


@pytest.mark.slow
def test_the_breaker_sells_only_once_the_exit_limit_s_cancel_is_answered(home, monkeypatch):
    """max_daily_loss trips while an exit limit rests at IB; IB holds the breaker's cancel of it and the
    limit fills meanwhile: that fill is the only sale (before, the breaker's market sell went out with the
    cancel and the position went short at IB: sold twice). The breaker closes by flatten's path
    (rbts.runtime.strategy.flatten)."""
    (home.parent / "v1.rbts").write_text(BREAKER)
    with FakeTws(ib_bars(AHEAD), live_interval=None) as tws:  # real time: one cycle every 30 s
        start_ib(home, home.parent / "v1.rbts", tws.port, monkeypatch)
        wait_for_tws(tws, lambda: tws.positions.get("AAPL", (0, 0))[0] > 0, "the entry filled at IB")
        held = tws.positions["AAPL"][0]
        tws.move_price("AAPL", round(tws.prices["AAPL"] - 5.0, 2), hold=True)  # the book 5 below the bars
        exit_limit = wait_for_tws(tws, lambda: next((o for o in tws.working_orders("LMT") if o.action == "SELL"), None),
                                  "the exit limit resting at IB (above the market)")
        tws.hold_cancels = True
        tws.shift_bars("AAPL", -10.0)  # the next bar closes 10 lower: a 5% loss trips the 2% breaker
        wait_for_tws(tws, lambda: tws.held_cancels, "the breaker's cancel of the exit limit")
        time.sleep(2)
        sold_while_cancelling = _market_sells(tws)
        tws.move_price("AAPL", round(exit_limit.limit_price + 0.5, 2), hold=True)  # the limit fills meanwhile
        assert exit_limit.status == "Filled" and exit_limit.fills[0].quantity == held
        tws.release_cancels()  # IB: cannot be cancelled, it filled
        wait_for(home, lambda s: not s.positions(), timeout=60, what="flat in the store")
        time.sleep(2)
        assert tws.positions["AAPL"][0] == 0, f"sold twice: {[(o.order_type, o.quantity) for o in tws.orders.values()]}"
        assert sold_while_cancelling == [] and _market_sells(tws) == []
        with store_of(home) as store:
            trips = [e for e in store.events() if e["kind"] == "max_daily_loss"]
            fills = [(f["side"], f["qty"]) for f in reversed(store.fills())]
        assert len(trips) == 1 and fills == [("BUY", held), ("SELL", held)]
        assert rbts(home, "stop").returncode == 0
