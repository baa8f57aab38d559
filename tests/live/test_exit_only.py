"""Positions in tickers a new version does not trade stay managed exit-only (issue #16 defect 3).

An apply that dropped a held ticker used to strand its position: held for weeks with no order,
no exit rule, no stop, no warning.  Here v1 buys AAPL and MSFT at the first cycle; v2 trades MSFT
only.  At the swap an event names AAPL as exit-only, status and the positions table show it so;
v2's exit rule (`close < 95`) sells AAPL when it falls, and v2 never buys AAPL although its entry
rule stays true; MSFT is v2's as before.

Hand-made catalog (1-minute bars, New York time): AAPL at 100 from 09:31 until 12:50, then 94;
MSFT at 200 all day.  The replay runs at x600 so that the apply lands during the flat hours.
"""

from __future__ import annotations

import pytest
from catalogs import minute_bars, write_bars
from livetest import flatten_and_wait, rbts, stop_bot, store_of, wait_for

V1 = """strategy "dropper"
universe: AAPL, MSFT
capital: 10000
cycle: 1m
order: market
entry always: close > 0
exit drop: close < 95
"""
V2 = V1.replace("universe: AAPL, MSFT", "universe: MSFT")


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    write_bars(home, "AAPL", minute_bars("2025-03-10", [100.0] * 30),
               minute_bars("2025-03-11", [100.0] * 200 + [94.0] * 30))
    write_bars(home, "MSFT", minute_bars("2025-03-10", [200.0] * 30), minute_bars("2025-03-11", [200.0] * 230))
    yield home
    stop_bot(home)


def ny(text: str) -> int:
    import pandas as pd

    return int(pd.Timestamp(text, tz="America/New_York").as_unit("ns").value)


@pytest.mark.slow
def test_a_dropped_ticker_is_exited_by_the_new_version_and_never_entered(home, tmp_path):
    (tmp_path / "v1.rbts").write_text(V1)
    (tmp_path / "v2.rbts").write_text(V2)
    started = rbts(home, "live", str(tmp_path / "v1.rbts"), "--start", "2025-03-11", "--speed", "600", "--detach")
    assert started.returncode == 0, started.stderr
    wait_for(home, lambda s: {p["symbol"] for p in s.positions()} == {"AAPL", "MSFT"}, what="v1 holding both")

    applied = rbts(home, "apply", str(tmp_path / "v2.rbts"))
    assert applied.returncode == 0 and "bot: applied dropper v2" in applied.stdout, applied.stderr
    status = wait_for(home, lambda s: s.status() if s.status()["strategy_version"] == "dropper v2" else None,
                      what="v2 in the status")
    with store_of(home) as store:
        events = [e for e in store.events(100) if e["kind"] == "exit_only"]
        cycle_at_apply = status["last_cycle_ts"]
    assert cycle_at_apply < ny("2025-03-11 12:50"), "the apply landed after the fall: slow the replay down"
    assert status["strategy_version"] == "dropper v2" and status["exit_only"] == ["AAPL"]
    assert len(events) == 1 and events[0]["level"] == "WARNING"
    assert "exit-only: AAPL (held, not in the universe of dropper v2)" in events[0]["message"]
    positions = wait_for(home, lambda s: s.positions() if any(p["exit_only"] for p in s.positions()) else None,
                         what="AAPL shown exit-only")
    assert {p["symbol"]: p["exit_only"] for p in positions} == {"AAPL": True, "MSFT": False}
    shown = rbts(home, "status").stdout
    assert "EXIT-ONLY: AAPL" in shown and "exit-only (not in the running version: exits only)" in shown

    # v2's exit rule sells AAPL when it falls below 95, at that bar's close
    sold = wait_for(home, lambda s: [f for f in s.fills(100) if f["symbol"] == "AAPL" and f["side"] == "SELL"],
                    timeout=120, what="AAPL exited by v2's exit rule")
    assert (sold[0]["ts"], sold[0]["price"], sold[0]["strategy_version"]) == (ny("2025-03-11 12:51"), 94.0,
                                                                              "dropper v2")
    wait_for(home, lambda s: s.status().get("last_cycle_ts") == ny("2025-03-11 13:20"), timeout=120,
             what="the end of the replay")
    with store_of(home) as store:
        aapl = [(f["side"], f["strategy_version"]) for f in reversed(store.fills(100)) if f["symbol"] == "AAPL"]
        positions = store.positions()
        msft = [f for f in store.fills(100) if f["symbol"] == "MSFT"]
    assert aapl == [("BUY", "dropper v1"), ("SELL", "dropper v2")]  # never bought again by v2
    assert [p["symbol"] for p in positions] == ["MSFT"] and not positions[0]["exit_only"]
    assert [f["side"] for f in msft] == ["BUY"]  # MSFT carried over into v2, untouched

    flatten_and_wait(home)  # flatten closes what v2 holds
    with store_of(home) as store:
        why = {(o["symbol"], o["side"]): (o["decided_ts"], o["reason"]) for o in store.orders()}
        safe = next(e for e in store.events(100) if e["kind"] == "safe_mode")
    # what the Live tab's fill markers say: v2 exited the exit-only AAPL at its own cycle by its rule; the
    # flatten's sell names no cycle; safe mode is marked at the replay's instant (data time)
    assert why["AAPL", "SELL"] == (ny("2025-03-11 12:51"), "drop") and why["MSFT", "SELL"] == (None, "flatten")
    assert safe["ts"] == ny("2025-03-11 13:20")
