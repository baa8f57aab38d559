"""A hot apply never leaves the bot without a strategy behind a normal status (issue #16 defect 1).

`universe: AAPL, ZZZQ` passes `rbts compile`, but a replay bot has no ZZZQ: the apply used to
stop the running version, fail to start the new one ("instrument ZZZQ.RBTS ... is not loaded"),
keep showing the old version, and exit 0.  Now the new version's instruments, feeds and warm-up
history are checked while the running version still trades; a version that fails the check is
refused (exit 1 with the reason; the running version goes on, the active file names it again),
and a version that still fails to start after the swap gives way to the previous version, or to
safe mode when that cannot start either.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from livetest import rbts, start_replay, store_of, wait_for

from rbts.runtime.live.registry import Registry, sha256
from rbts.ui import live_model
from rbts.ui.live_data import read_frames
from rbts.runtime.settings import load_settings

V1 = """strategy "apply safety"
universe: AAPL, MSFT
capital: 10000
cycle: 5m
order: market
let fast = ema(close, 3, 5m)
let slow = ema(close, 8, 5m)
entry up: fast crosses_above slow
exit down: fast crosses_below slow
"""


def active_sha(home) -> str:
    return sha256(Registry(load_settings(home).strategies_dir, home / "live").active()[0])


@pytest.mark.slow
def test_an_untradable_symbol_is_refused_before_the_running_version_stops(replay_home, tmp_path):
    home = replay_home
    v1 = tmp_path / "v1.rbts"
    v1.write_text(V1)
    start_replay(home, v1)
    wait_for(home, lambda s: s.count("fills") >= 1 and s.status().get("strategy_version") == "apply-safety v1",
             what="v1 trading")
    running_sha = active_sha(home)

    bad = tmp_path / "bad.rbts"
    bad.write_text(V1.replace("universe: AAPL, MSFT", "universe: AAPL, ZZZQ"))
    assert rbts(home, "compile", str(bad)).returncode == 0  # a valid strategy, only not tradable here
    applied = rbts(home, "apply", str(bad))
    assert applied.returncode == 1, applied.stdout
    assert "apply-safety v2 refused, apply-safety v1 keeps running" in applied.stderr
    assert "ZZZQ: the catalog holds no bars for it" in applied.stderr

    status = wait_for(home, lambda s: s.status() if s.status().get("last_error") else None, what="the refusal")
    cycle_at_refusal = status["last_cycle_ts"]
    with store_of(home) as store:
        refusals = [e for e in store.events(200) if e["level"] == "ERROR" and e["kind"] == "apply"]
        errors = [e["message"] for e in refusals]
        assert store._db.execute("SELECT COUNT(*) FROM commands WHERE state IN ('pending', 'running')"
                                 ).fetchone()[0] == 0
    assert status["strategy_version"] == "apply-safety v1" and not status["safe_mode"]
    assert "ZZZQ" in status["last_error"] and any("ZZZQ" in e for e in errors)
    assert active_sha(home) == running_sha  # a restart would run v1, not the refused v2
    # the bot's refusal carries data time (the replay's instant), so the Live tab's equity chart marks it
    [refusal] = [e for e in refusals if "ZZZQ" in e["message"]]
    assert pd.Timestamp("2025-03-10", tz="America/New_York").value <= refusal["ts"] <= status["last_bar_ts"]
    marks = live_model.equity_marks(read_frames(home / "live" / "state.db"))
    assert ("error", refusal["ts"]) in set(zip(marks["kind"], marks["ts"], strict=True))
    # v1 kept trading through it: cycles go on
    wait_for(home, lambda s: (s.status().get("last_cycle_ts") or 0) > cycle_at_refusal, what="v1 cycles go on")

    good = tmp_path / "v3.rbts"
    good.write_text(V1.replace("ema(close, 8, 5m)", "ema(close, 13, 5m)"))
    applied = rbts(home, "apply", str(good))
    assert applied.returncode == 0 and "bot: applied apply-safety v3" in applied.stdout, applied.stderr
    status = wait_for(home, lambda s: s.status() if s.status()["strategy_version"] == "apply-safety v3" else None,
                      what="v3 in the status")
    assert status["last_error"] is None and not status["safe_mode"]


TOY = {"toy": 1, "name": "toy", "universe": ["AAPL"], "every": 3, "qty": 5, "resting": True}


def start_toy(home, tmp_path, data: dict) -> None:
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(data))
    start_replay(home, path)
    wait_for(home, lambda s: s.count("fills") >= 1, what="v1 trading")


def apply_toy(home, tmp_path, data: dict):
    path = tmp_path / "next.json"
    path.write_text(json.dumps(data))
    return rbts(home, "apply", str(path))


@pytest.mark.slow
def test_a_version_that_fails_after_the_swap_gives_way_to_the_previous_one(toy_home, tmp_path):
    start_toy(toy_home, tmp_path, TOY)
    applied = apply_toy(toy_home, tmp_path, {**TOY, "qty": 7, "fail_on_start": True})
    assert applied.returncode == 1
    assert "toy v2 failed to start (RuntimeError: toy strategy told to fail on start); back on toy v1" in applied.stderr
    status = wait_for(toy_home, lambda s: s.status() if s.status().get("last_error") else None, what="the rollback")
    with store_of(toy_home) as store:
        fills_then = store.count("fills")
    assert status["strategy_version"] == "toy v1" and not status["safe_mode"] and "back on toy v1" in status["last_error"]
    # v1 really runs again: it trades on
    wait_for(toy_home, lambda s: s.count("fills") > fills_then + 1, what="v1 trading again")
    with store_of(toy_home) as store:
        assert {f["strategy_version"] for f in store.fills(2)} == {"toy v1"}


@pytest.mark.slow
def test_when_the_previous_version_cannot_start_again_either_the_bot_is_in_safe_mode(toy_home, tmp_path):
    start_toy(toy_home, tmp_path, {**TOY, "max_starts": 1})
    applied = apply_toy(toy_home, tmp_path, {**TOY, "qty": 7, "fail_on_start": True})
    assert applied.returncode == 1
    assert "restarting toy v1 failed too" in applied.stderr and "the bot is in safe mode" in applied.stderr
    status = wait_for(toy_home, lambda s: s.status() if s.status().get("safe_mode") else None, what="safe mode")
    assert status["safe_mode"] and status["strategy_version"] is None
    assert "toy v2 failed to start" in status["safe_reason"]
