"""``rbts live FILE --set ...`` in replay mode (SPEC §6.1): the bot runs the set values, and
``rbts restart`` runs them again (they are the defaults of the active strategy)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from livetest import rbts, wait_for

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vix_ema_cross_params.rbts"


def _columns(home: Path, run: int | None = None) -> set[str]:
    def seen(store):
        latest = store.latest_cycle(run)
        return set().union(*(set(c["values"]) for c in latest.values())) if latest else None

    return wait_for(home, seen, what="a recorded cycle")


@pytest.mark.slow
def test_live_with_set_runs_the_values_and_a_restart_keeps_them(replay_home):
    home = replay_home
    started = rbts(home, "live", str(EXAMPLE), "--set", "fast=13", "--set", "tf=15m", "--start", "2025-03-10",
                   "--speed", "10000", "--detach")
    assert started.returncode == 0, started.stderr
    columns = _columns(home)
    assert "ema(close, 13, 15m)" in columns and not any("ema(close, 9," in c for c in columns), columns
    first_run = wait_for(home, lambda s: s.current_run(), what="the run")
    active = json.loads((home / "live" / "active_strategy.json").read_text())
    assert {p["name"]: p["default"] for p in active["params"]}["fast"] == 13

    restarted = rbts(home, "restart")
    assert restarted.returncode == 0, restarted.stderr
    second_run = wait_for(home, lambda s: s.current_run() != first_run and s.current_run(), what="the new run")
    assert "ema(close, 13, 15m)" in _columns(home, second_run)  # the restarted run's own cycles
