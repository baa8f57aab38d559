"""The live service end to end in replay mode, through the `rbts` commands, at high speed.

The bot runs a small real strategy of the tests (toy_plugin, via RBTS_LIVE_PLUGIN) on the
demo data: start, cycles and fills in the store, hot apply of v2 (v1's working orders
cancelled, positions kept, v2 trading), an invalid apply (v2 keeps running, error
recorded), flatten, stop; afterwards every order ever submitted is in the store with a
working or terminal state.  Start-up on an invalid active strategy gives safe mode.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from livetest import (WORKING, flatten_and_wait, rbts, stop_bot, store_of, submitted_order_ids, use_toy_plugin,
                      wait_for)

from rbts.runtime.live.store import TERMINAL_ORDER_STATES
from rbts.ui import live_model
from rbts.ui.live_data import read_frames

V1 = {"toy": 1, "name": "toy", "universe": ["AAPL", "MSFT"], "every": 5, "qty": 10}
V2 = {"toy": 1, "name": "toy", "universe": ["AAPL", "MSFT"], "every": 7, "qty": 3}


@pytest.fixture
def home(small_demo_home, tmp_path, monkeypatch):
    use_toy_plugin(monkeypatch)
    dest = tmp_path / "home"
    shutil.copytree(small_demo_home, dest)
    yield dest
    stop_bot(dest)


def write(path: Path, data) -> str:
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


@pytest.mark.slow
def test_replay_bot_apply_invalid_flatten_stop(home, tmp_path):
    started = rbts(home, "live", write(tmp_path / "v1.json", V1), "--start", "2025-03-10",
                   "--speed", "10000", "--detach")
    assert started.returncode == 0, started.stderr
    wait_for(home, lambda s: s.count("fills") >= 4 and s.count("cycles") > 20, what="v1 fills and cycles")
    assert rbts(home, "status").returncode == 0

    applied = rbts(home, "apply", write(tmp_path / "v2.json", V2))
    assert applied.returncode == 0, applied.stderr
    assert "applied toy v2" in applied.stdout
    wait_for(home, lambda s: any(f["strategy_version"] == "toy v2" for f in s.fills(500)), what="a v2 fill")
    with store_of(home) as store:
        v1_orders = [o for o in store.orders() if o["strategy_version"] == "toy v1"]
        assert v1_orders and all(o["status"] in TERMINAL_ORDER_STATES for o in v1_orders)
        assert any(o["status"] == "CANCELED" for o in v1_orders)  # v1's resting limits were cancelled
        assert store.status()["strategy_version"] == "toy v2"

    bad = rbts(home, "apply", write(tmp_path / "bad.json", '{"toy": 2}'))
    assert bad.returncode == 1 and "bad.json:1:1: error" in bad.stderr
    with store_of(home) as store:
        assert store.status()["strategy_version"] == "toy v2"
        assert any("apply rejected" in e["message"] and e["level"] == "ERROR" for e in store.events())

    status = flatten_and_wait(home)
    with store_of(home) as store:
        fills_after_flat = store.count("fills")
        safe = next(e for e in store.events(200) if e["kind"] == "safe_mode")
        flattened = [(o["side"], o["type"]) for o in store.orders() if o["reason"] == "flatten"]
    # the Live tab marks safe mode at its data time; a flatten's orders say why they were sent
    assert pd.Timestamp("2025-03-10", tz="America/New_York").value <= safe["ts"] <= status["last_bar_ts"]
    assert set(flattened) <= {("SELL", "MARKET")}  # (tests/live/test_exit_only.py: a position it closed)
    marks = live_model.equity_marks(read_frames(home / "live" / "state.db"))
    assert ("safe_mode", safe["ts"]) in set(zip(marks["kind"], marks["ts"], strict=True))
    # two more flushes of the monitor: safe mode opened nothing and left nothing working
    wait_for(home, lambda s: s.status()["heartbeat"] > status["heartbeat"] + 1.0, what="monitor flushes")
    with store_of(home) as store:
        assert store.count("fills") == fills_after_flat
        assert store.orders(working_only=True) == []

    # "apply a strategy to trade again": the version that ran before the flatten, applied again, runs
    # again (it was answered "applied" from its earlier swap while the bot stayed in safe mode)
    again = rbts(home, "apply", str(tmp_path / "v2.json"))
    assert again.returncode == 0 and "applied toy v2" in again.stdout, again.stdout + again.stderr
    status = wait_for(home, lambda s: s.status() if not s.status().get("safe_mode") else None, what="v2 again")
    assert status["strategy_version"] == "toy v2"
    flatten_and_wait(home)  # and flat again: nothing working when it stops

    stopped = rbts(home, "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert rbts(home, "status").returncode == 3
    with store_of(home) as store:
        orders = {o["client_order_id"]: o["status"] for o in store.orders()}
        assert store.status()["node_status"] == "stopped"
    submitted = submitted_order_ids(home)
    assert submitted and submitted <= set(orders)  # nothing lost
    assert all(status in TERMINAL_ORDER_STATES | WORKING for status in orders.values()), orders


@pytest.mark.slow
def test_startup_with_invalid_active_strategy_is_safe_mode(home):
    live = home / "live"
    live.mkdir(exist_ok=True)
    (live / "active_strategy.json").write_text('{"toy": 1, "universe": [}')
    started = rbts(home, "live", "--start", "2025-03-10", "--speed", "10000", "--detach")
    assert started.returncode == 0, started.stderr
    status = wait_for(home, lambda s: s.status() if s.status().get("safe_mode") else None, what="safe mode")
    assert status["safe_reason"].startswith("invalid strategy") and "invalid JSON" in status["safe_reason"]
    wait_for(home, lambda s: s.status().get("heartbeat", 0) > status["heartbeat"] + 0.5, what="monitoring goes on")
    with store_of(home) as store:
        assert store.count("orders") == 0
    assert "SAFE MODE" in rbts(home, "status").stdout
    first_pid = status["pid"]
    restarted = rbts(home, "restart")
    assert restarted.returncode == 0, restarted.stderr
    again = wait_for(home, lambda s: s.status() if s.status().get("safe_mode") and s.status().get("pid") != first_pid
                     else None, what="safe mode again after the restart")
    assert again["mode"] == "replay" and again["safe_reason"] == status["safe_reason"]
    assert rbts(home, "stop").returncode == 0


def test_cli_without_a_bot(tmp_path, monkeypatch):
    use_toy_plugin(monkeypatch)
    assert rbts(tmp_path, "status").returncode == 3
    stop = rbts(tmp_path, "stop")
    assert stop.returncode == 1 and "no bot is running" in stop.stderr
    applied = rbts(tmp_path, "apply", write(tmp_path / "v1.json", V1))
    assert applied.returncode == 0 and "no bot is running" in applied.stdout
    assert (tmp_path / "live" / "active_strategy.json").exists()
