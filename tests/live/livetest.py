"""Helpers of the live tests: the `rbts` command run in-process, waits on the state store, clean-up.

Commands run through Typer's CliRunner in the test process (no interpreter start-up and
no re-import of Nautilus per command); the bot itself is always a real separate process
(`rbts live --detach` spawns it).  Waits poll the state store every 50 ms.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from rbts.runtime.live.store import StateStore

HERE = Path(__file__).resolve().parent
WORKING = {"ACCEPTED", "SUBMITTED", "PARTIALLY_FILLED", "PENDING_CANCEL", "PENDING_UPDATE", "TRIGGERED"}


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def rbts(home: Path, *args: str) -> Run:
    """``rbts --home HOME ARGS`` in this process."""
    from rbts.runtime.cli.app import app

    result = CliRunner().invoke(app, ["--home", str(home), *args], catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def use_toy_plugin(monkeypatch) -> None:
    """The bot (and in-process commands) load strategies with tests/live/toy_plugin.py."""
    monkeypatch.setenv("RBTS_LIVE_PLUGIN", "toy_plugin")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))


def store_of(home: Path) -> StateStore:
    return StateStore(home / "live" / "state.db")


def wait_for(home: Path, predicate, timeout: float = 60.0, what: str = "condition"):
    """``predicate(store)``'s first truthy value (polled every 50 ms; the timeout is only a hang guard)."""
    deadline = time.monotonic() + timeout
    db = home / "live" / "state.db"
    while time.monotonic() < deadline:
        if db.exists():
            with StateStore(db) as store:
                value = predicate(store)
                if value:
                    return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def flatten_and_wait(home: Path) -> dict:
    """`rbts flatten --yes`, then wait until the bot is flat and in safe mode; its status."""
    flat = rbts(home, "flatten", "--yes")
    assert flat.returncode == 0, flat.stderr
    status = wait_for(home, lambda s: s.status() if s.status().get("safe_mode") and not s.positions() else None,
                      what="flat and in safe mode")
    assert "flattened" in status["safe_reason"]
    return status


def stop_bot(home: Path) -> None:
    """Never leave a bot behind (fixture clean-up)."""
    from rbts.runtime.live.lock import holder
    from rbts.runtime.live.supervisor import supervisor_pid
    from rbts.runtime.settings import load_settings

    if holder(home / "live") is not None or supervisor_pid(load_settings(home)):
        rbts(home, "stop", "--timeout", "5")


def submitted_order_ids(home: Path) -> set[str]:
    """Every order the node logged as submitted (its JSON log), to check the store lost none."""
    text = (home / "live" / "node.jsonl").read_text()
    return set(re.findall(r"SubmitOrder\(order=\w+\(.*?client_order_id=([\w-]+)", text))


def start_replay(home: Path, strategy: Path | None = None, *, start: str = "2025-03-10", speed: int = 3000) -> None:
    """`rbts live [STRATEGY] --start START --speed SPEED --detach`: a replay bot in the background (without
    STRATEGY it runs the home's active strategy)."""
    args = ([str(strategy)] if strategy is not None else []) + ["--start", start, "--speed", str(speed), "--detach"]
    started = rbts(home, "live", *args)
    assert started.returncode == 0, started.stderr


def start_ib(home: Path, strategy: Path, port: int, monkeypatch) -> None:
    """`rbts live STRATEGY --mode ib --detach` against the (fake) gateway on ``port``."""
    monkeypatch.setenv("RBTS_IB_PORT", str(port))
    started = rbts(home, "live", str(strategy), "--mode", "ib", "--detach")
    assert started.returncode == 0, started.stderr


def ib_bars(ahead: pd.Timedelta, seconds: int = 30) -> dict[str, pd.DataFrame]:
    """The fake TWS's AAPL bars (``seconds`` each, around 180) from an hour ago to ``ahead`` from now."""
    from support.fake_tws import sample_bars

    now = pd.Timestamp.now(tz="UTC").floor(f"{seconds}s")
    return {"AAPL": sample_bars(now - pd.Timedelta(hours=1), now + ahead, 180.0, freq=f"{seconds}s", seed=3)}


def wait_for_tws(tws, predicate, what: str, timeout: float = 90.0):
    """``predicate()``'s first truthy value, polling the fake TWS (fails naming ``what`` and its last requests)."""
    assert tws.wait_for(predicate, timeout), \
        f"timed out waiting for {what}; last requests {[(n, f[:4]) for n, f in tws.requests[-15:]]}"
    return predicate()
