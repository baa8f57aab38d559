"""`risk: broker_stop 5%` against the fake TWS (tests/support/fake_tws.py, which rests STP orders
and fills them once the price reaches the trigger, whether a client is connected or not).

* the entry's fill puts a GTC STP SELL for the whole position at 5% below the average entry at IB;
* an exit rule cancels it at IB before selling, so the shares are never sold twice (the fake's
  position never goes below zero); (a swap keeping the stop: tests/live/test_broker_stop_replay.py);
* the bot is killed (kill -9) with the stop resting; the price falls through it; IB fills it
  while no bot runs: the position is closed at the broker.
"""

from __future__ import annotations

import os
import signal

import pytest
from livetest import rbts, stop_bot, wait_for
from support.fake_tws import FakeTws
import pandas as pd
from support.fake_tws import sample_bars

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


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("RBTS_IB_ACCOUNT", "DU1234567")
    monkeypatch.setenv("RBTS_IB_MAX_CONNECTION_ATTEMPTS", "1")
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "v1.rbts").write_text(PROTECTED)
    yield home
    stop_bot(home)


def fake_bars() -> dict[str, pd.DataFrame]:
    """30-second bars from an hour ago to two hours ahead (streamed one a second: minutes of cycles)."""
    now = pd.Timestamp.now(tz="UTC").floor("30s")
    return {"AAPL": sample_bars(now - pd.Timedelta(hours=1), now + pd.Timedelta(hours=2), 180.0, freq="30s", seed=3)}


def _start(home, tws, monkeypatch):
    monkeypatch.setenv("RBTS_IB_PORT", str(tws.port))
    started = rbts(home, "live", str(home.parent / "v1.rbts"), "--mode", "ib", "--detach")
    assert started.returncode == 0, started.stderr


def _resting_stop(tws):
    stops = tws.working_orders("STP")
    return stops[0] if len(stops) == 1 else None


def _check_stop_at_ib(tws):
    stop = wait_for_tws(tws, lambda: _resting_stop(tws), "the stop resting at IB")
    [entry] = [o for o in tws.orders.values() if o.action == "BUY"]
    assert (stop.action, stop.tif, stop.quantity) == ("SELL", "GTC", entry.quantity)
    assert stop.aux_price == pytest.approx(round(entry.avg_price * 0.95, 2), abs=0.011)
    return stop


def wait_for_tws(tws, predicate, what: str, timeout: float = 90.0):
    assert tws.wait_for(predicate, timeout), \
        f"timed out waiting for {what}; last requests {[(n, f[:4]) for n, f in tws.requests[-15:]]}"
    return predicate()


@pytest.mark.slow
def test_the_stop_rests_at_ib_and_an_exit_cancels_it_before_selling(home, monkeypatch):
    (home.parent / "v1.rbts").write_text(PROTECTED + "exit next: close > 0\n")  # sells at the next cycle
    with FakeTws(fake_bars(), live_interval=1.0) as tws:
        _start(home, tws, monkeypatch)
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
    with FakeTws(fake_bars(), live_interval=1.0) as tws:
        _start(home, tws, monkeypatch)
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
