"""Feed-silence warnings: the rule (unit) and in a running replay bot whose MSFT feed stops mid-morning."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from catalogs import minute_bars, write_bars
from livetest import rbts, stop_bot, store_of, use_toy_plugin, wait_for

from rbts.runtime.live.feeds import FeedWatch, session_open


def ny(text: str) -> int:
    return int(pd.Timestamp(text, tz="America/New_York").as_unit("ns").value)


MIN = 60_000_000_000


def test_silence_counts_only_inside_the_session():
    watch = FeedWatch(grace_ns=0)
    watch.expect(["AAPL", "MSFT"], 60)
    for feed in ("AAPL", "MSFT"):
        watch.on_bar(feed, ny("2025-03-10 16:00"))
    assert watch.check(ny("2025-03-11 08:00")) == ([], [])  # overnight: nothing expected
    assert watch.check(ny("2025-03-11 09:32")) == ([], [])  # 2 minutes into the session: not yet
    watch.on_bar("AAPL", ny("2025-03-11 09:33"))
    assert watch.check(ny("2025-03-11 09:33")) == (["MSFT"], [])  # > 2 cycles since the open
    assert watch.silent == {"MSFT": ny("2025-03-11 09:30")}
    assert watch.check(ny("2025-03-11 09:34")) == ([], [])  # reported once
    watch.on_bar("MSFT", ny("2025-03-11 09:35"))
    watch.on_bar("AAPL", ny("2025-03-11 09:35"))
    assert watch.check(ny("2025-03-11 09:35")) == ([], ["MSFT"])
    watch.expect(["AAPL"], 300)  # a new strategy: 5-minute cycles, AAPL only
    assert watch.check(ny("2025-03-11 09:44")) == ([], [])
    assert watch.check(ny("2025-03-11 09:46")) == (["AAPL"], [])


def test_a_feed_added_by_an_apply_mid_session_is_owed_bars_from_then_on():
    """An apply that adds MSFT at 11:00 is not "MSFT silent since the open" (issue #16)."""
    watch = FeedWatch(grace_ns=0)
    watch.expect(["AAPL"], 60)
    for stamp in ("10:56", "10:57", "10:58", "10:59"):
        watch.on_bar("AAPL", ny(f"2025-03-11 {stamp}"))
        assert watch.check(ny(f"2025-03-11 {stamp}")) == ([], [])
    watch.expect(["AAPL", "MSFT"], 60)  # the apply
    watch.on_bar("AAPL", ny("2025-03-11 11:00"))
    assert watch.check(ny("2025-03-11 11:00")) == ([], [])
    watch.on_bar("AAPL", ny("2025-03-11 11:02"))
    assert watch.check(ny("2025-03-11 11:02")) == ([], [])  # two cycles since the apply: not yet
    watch.on_bar("AAPL", ny("2025-03-11 11:03"))
    assert watch.check(ny("2025-03-11 11:03")) == (["MSFT"], [])  # more than two: silent since the apply
    assert watch.silent == {"MSFT": ny("2025-03-11 11:00")}


def test_session_open_honours_holidays_and_early_closes():
    assert session_open(ny("2025-03-11 10:00")) == ny("2025-03-11 09:30")
    assert session_open(ny("2025-03-11 09:30")) is None  # (open, close]
    assert session_open(ny("2025-07-04 10:00")) is None  # Independence Day
    assert session_open(ny("2025-11-28 13:30")) is None  # the day after Thanksgiving closes at 13:00


@pytest.fixture
def home(tmp_path, monkeypatch):
    use_toy_plugin(monkeypatch)
    home = tmp_path / "home"
    write_bars(home, "AAPL", minute_bars("2025-03-10", [100.0] * 10), minute_bars("2025-03-11", [100.0] * 40))
    # MSFT: 09:31..09:40, silent until 09:51, then 09:51..10:10
    write_bars(home, "MSFT", minute_bars("2025-03-10", [50.0] * 10), minute_bars("2025-03-11", [50.0] * 10),
               minute_bars("2025-03-11", [50.0] * 20, first="09:51"))
    yield home
    stop_bot(home)


@pytest.mark.slow
def test_a_silent_feed_is_reported_and_its_return_too(home, tmp_path):
    strategy = tmp_path / "toy.json"
    strategy.write_text(json.dumps({"toy": 1, "universe": ["AAPL", "MSFT"], "every": 1000, "resting": False}))
    started = rbts(home, "live", str(strategy), "--start", "2025-03-11", "--speed", "10000", "--detach")
    assert started.returncode == 0, started.stderr
    wait_for(home, lambda s: any(e["message"].startswith("feed back: MSFT") for e in s.events()),
             what="MSFT silent, then back")
    with store_of(home) as store:
        events = [e for e in reversed(store.events()) if e["kind"] == "feed_silent"]
    silent, back = events[0], events[1]
    assert silent["level"] == "WARNING" and "no MSFT bar since 2025-03-11 09:40" in silent["message"]
    assert "more than 2 cycles (2 min)" in silent["message"]
    assert ny("2025-03-11 09:42") < silent["ts"] <= ny("2025-03-11 09:51")  # noticed while the others went on
    assert back["ts"] >= ny("2025-03-11 09:51")
    assert not any("AAPL" in e["message"] for e in events)
