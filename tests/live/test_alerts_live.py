"""Alerts from a real replay bot to a local HTTP endpoint: the crash day of
test_daily_loss_breaker (AAPL falls from 100 to 90 on 2025-03-11; `risk: max_daily_loss 2%`).

What arrives: the strategy taken (apply), the entry fill with its rule, the breaker, the
breaker's exit fill with the trade's PnL, the session summary after the 2025-03-11 close
(1 entry, 1 exit), the next day's entry; then `rbts flatten`: safe mode entered and the
flatten's fill.  The `only-breaker` destination gets the breaker alone.
"""

from __future__ import annotations

import pytest
from catalogs import minute_bars, write_bars
from livetest import flatten_and_wait, rbts, stop_bot, wait_for
from support.http_sink import HttpSink
from test_daily_loss_breaker import CRASH, ny

import numpy as np


@pytest.fixture
def sink():
    with HttpSink() as sink:
        yield sink


@pytest.fixture
def home(tmp_path, sink, monkeypatch):
    home = tmp_path / "home"
    write_bars(home, "AAPL",
               minute_bars("2025-03-10", [100.0] * 10),
               minute_bars("2025-03-11", [100.0] * 5 + list(np.linspace(99, 90, 10)) + list(np.linspace(91, 100, 15))),
               minute_bars("2025-03-12", [92.0] * 10))
    monkeypatch.delenv("RBTS_ALERTS", raising=False)
    (home / "rbts.yaml").write_text(f"alerts:\n  - {sink.url('all')}\n"
                                    f"  - url: {sink.url('only-breaker')}\n    events: [breaker]\n")
    yield home
    stop_bot(home)


@pytest.mark.slow
def test_a_replay_bot_alerts_fills_breaker_summary_and_safe_mode(home, tmp_path, sink):
    strategy = tmp_path / "crash.rbts"
    strategy.write_text(CRASH)
    assert rbts(home, "live", str(strategy), "--start", "2025-03-11", "--speed", "10000", "--detach").returncode == 0
    wait_for(home, lambda s: s.status().get("last_cycle_ts") == ny("2025-03-12 09:40"), what="the end of the replay")
    titles = sink.wait_for(lambda s: [b["title"] for b in s.delivered("all")] if len(s.delivered("all")) >= 6
                           else None, what="six alerts")
    assert titles[:6] == [
        "RBTS apply: running crash v1",
        "RBTS fill: AAPL entry filled: bought 100 @ 100.00 (rule always)",
        "RBTS breaker: daily loss 2.00% reached max_daily_loss 2.00%: orders cancelled, positions closed at "
        "market, no ent…",  # titles are cut at 100 characters; the message has it all
        "RBTS fill: AAPL exit filled: sold 100 @ 98.00 (rule max_daily_loss); trade PnL -200.00 after fees",
        titles[4],  # the summary, checked below
        "RBTS fill: AAPL entry filled: bought 106 @ 92.00 (rule always)",  # all in: 9,800 / 92
    ]
    assert sink.delivered("all")[2]["message"].endswith("no entries until the next session\n\nbot in " + str(home))
    assert sink.delivered("all")[4]["message"].startswith(
        "session 2025-03-11 closed: day PnL -200.00 (-2.00%), equity 9,800.00; 1 entry, 1 exit; open positions: ")
    assert [b["type"] for b in sink.delivered("all")[:3]] == ["info", "info", "warning"]
    assert [b["title"] for b in sink.delivered("only-breaker")] == [titles[2]]

    flatten_and_wait(home)
    sink.wait_for(lambda s: len(s.delivered("all")) >= 8, what="the flatten's alerts")
    assert [b["title"] for b in sink.delivered("all")[6:8]] == [
        "RBTS safe_mode: safe mode: flattened by user: apply a strategy to trade again",
        "RBTS fill: AAPL exit filled: sold 106 @ 92.00 (rule flatten); trade PnL +0.00 after fees",
    ]
    assert rbts(home, "stop").returncode == 0
