"""Replay speed of the live bot (issue 9): deterministic stepping vs the sleeps it must do.

    .venv/bin/python bench/bench_live.py [--sessions N] [--speed X]

The reference strategy (``examples/vix_ema_cross.rbts``: 4 tickers + VIX) replayed by a real
``rbts live --mode replay`` process over N demo sessions at speed X.  The replay sleeps
``Δt / speed`` between instants (nights shortened to one bar), so at x10,000 one 1-minute
step is 6 ms of sleep.  Figures, all wall clock:

* **ideal**: the sum of those sleeps (what the replay would take with free processing);
* **replay**: first to last cycle as seen in the state store;
* **overhead per instant**: (replay - ideal) / instants: publishing the bars of an instant,
  draining the engine queues, the strategy's cycle, orders through the sandbox.
* **baseline**: ``run_backtest`` of the same strategy over the same sessions in this process
  (bars loaded from the catalog included), per instant.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
STRATEGY = ROOT / "examples" / "vix_ema_cross.rbts"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--speed", type=float, default=10_000.0)
    args = parser.parse_args()

    from rbts.runtime.backtest.runner import run_backtest
    from rbts.runtime.data import demo
    from rbts.runtime.data.catalog import BarStore
    from rbts.runtime.live.store import StateStore
    from rbts.runtime.settings import load_settings

    home = Path(tempfile.mkdtemp(prefix="bench-live-")) / "home"
    days = demo.sessions("2025-03-03", "2025-04-30")
    first_day = days.index[10]
    last_day = days.index[10 + args.sessions - 1]
    demo.write_demo(BarStore(load_settings(home)), start="2025-03-03", end=str(last_day.date()))
    bars = BarStore(load_settings(home)).load_frame("AAPL", str(first_day.date()), str(last_day.date()))
    instants = len(bars)
    gaps = pd.Series(bars.index).diff().dt.total_seconds().dropna().clip(upper=60.0)
    ideal = float(gaps.sum()) / args.speed

    started = time.perf_counter()
    result = run_backtest(STRATEGY, str(first_day.date()), str(last_day.date()), home=home)
    backtest_s = time.perf_counter() - started

    env = {k: v for k, v in os.environ.items() if k != "RBTS_LIVE_PLUGIN"}
    cli = [sys.executable, "-m", "rbts.runtime.cli.app", "--home", str(home)]
    subprocess.run([*cli, "live", str(STRATEGY), "--start", str(first_day.date()), "--end",
                    f"{last_day.date()} 23:59", "--speed", str(args.speed), "--detach"], check=True, env=env,
                   capture_output=True)
    db = home / "live" / "state.db"
    last_expected = int(bars.index[-1].value)
    first_seen = last_seen = None
    try:
        while True:
            with StateStore(db) as store:
                st = store.status()
                cycles = store.count("cycles")
            now = time.perf_counter()
            if cycles and first_seen is None:
                first_seen = now
            if (st.get("last_cycle_ts") or 0) >= last_expected:
                last_seen = now
                break
            time.sleep(0.02)
    finally:
        subprocess.run([*cli, "stop"], env=env, capture_output=True)
    replay = last_seen - first_seen
    load = os.getloadavg()[0]
    print(f"{args.sessions} sessions, {instants} instants, 4 tickers + VIX, speed x{args.speed:g}, load {load:.1f}")
    print("| measure | seconds | per instant ms |")
    print("|---|---:|---:|")
    print(f"| ideal (sleeps only) | {ideal:.2f} | {1000 * ideal / instants:.2f} |")
    print(f"| replay, first to last cycle | {replay:.2f} | {1000 * replay / instants:.2f} |")
    print(f"| overhead (replay - ideal) | {replay - ideal:.2f} | {1000 * (replay - ideal) / instants:.2f} |")
    print(f"| baseline: backtest of the same sessions ({result.metrics['trades']} trades) | {backtest_s:.2f} | "
          f"{1000 * backtest_s / instants:.2f} |")


if __name__ == "__main__":
    main()
