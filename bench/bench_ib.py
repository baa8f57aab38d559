"""IB benchmarks against the fake TWS (tests/support/fake_tws.py); figures in bench/README.md.

    .venv/bin/python bench/bench_ib.py [--days 20] [--repeat 3]

1. ``download_bars`` of one symbol over ``--days`` sessions with extended hours (960
   1-minute bars a day), pacing window off. Baseline in the same run: writing the same
   bars, day by day, with ``BarStore.write_frame`` (what the download does after IB).
2. Failing without a gateway: ``rbts data download`` in a fresh process with nothing
   listening, until exit 1. Baseline: a fresh process importing the same modules.
3. ``node.build()`` of a TradingNode with ``ib_client_configs`` and nothing listening
   (``max_connection_attempts`` 1), in a fresh process. Baseline: the same build with the
   fake TWS listening.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import pandas as pd
from support.fake_tws import FakeTws, free_port, sample_bars

PY = sys.executable


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_download(days: int, repeat: int) -> tuple[float, float, int]:
    import exchange_calendars as xcals
    from rbts.runtime.data.catalog import BarStore
    from rbts.runtime.ib.download import Pacing, download_bars
    from rbts.runtime.settings import load_settings

    sessions = xcals.get_calendar("XNYS").sessions_in_range("2024-03-01", "2024-12-31")[:days]
    first, last = sessions[0], sessions[-1]
    frame = sample_bars(f"{first:%Y-%m-%d} 04:00", f"{last:%Y-%m-%d} 20:00", 180.0, seed=11)
    local = frame.index.tz_convert("America/New_York")
    minutes = local.hour * 60 + local.minute
    frame = frame[(minutes > 240) & (minutes <= 1200) & local.normalize().tz_localize(None).isin(sessions)]
    pacing = Pacing(min_interval=0.0, max_requests=10_000)
    with FakeTws({"AAPL": frame}) as tws:
        os.environ["RBTS_IB_PORT"] = str(tws.port)

        def download():
            with tempfile.TemporaryDirectory() as home:
                counts = download_bars(load_settings(home), ["AAPL"], f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}", pacing=pacing)
                assert counts["AAPL"] == len(frame), counts

        seconds = best(download, repeat)

    def write_only():
        with tempfile.TemporaryDirectory() as home:
            store = BarStore(load_settings(home))
            for day, part in frame.groupby(frame.index.tz_convert("America/New_York").date):
                store.write_frame("AAPL", part.tz_convert("UTC"), 60, {"source": "ib", "synthetic": False})

    return seconds, best(write_only, repeat), len(frame)


def run_process(args: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, check=False)
    return time.perf_counter() - started, result


def bench_fail_fast(repeat: int) -> tuple[float, float]:
    env = {**os.environ, "RBTS_IB_PORT": str(free_port())}
    with tempfile.TemporaryDirectory() as home:
        cmd = [PY, "-m", "rbts.runtime.cli.app", "--home", home, "data", "download", "--symbols", "AAPL",
               "--start", "2024-03-04", "--end", "2024-03-05"]
        fail = min(run_process(cmd, env)[0] for _ in range(repeat))
        _, result = run_process(cmd, env)
        assert result.returncode == 1 and "cannot reach IB Gateway/TWS" in result.stderr, result.stderr
    imports = [PY, "-c", "import pandas, exchange_calendars, rbts.runtime.cli.app, rbts.runtime.ib.download, rbts.runtime.data.catalog"]
    base = min(run_process(imports, env)[0] for _ in range(repeat))
    return fail, base


BUILD_SCRIPT = """
import sys, time
sys.path.insert(0, {tests!r}); sys.path.insert(0, {ib_tests!r})
from test_live_node import _node
from rbts.runtime.settings import load_settings
node = _node(load_settings({home!r}), ["AAPL", "VIX"])
started = time.perf_counter()
node.build()
print("BUILD", time.perf_counter() - started, flush=True)
node.dispose()
"""


def bench_build(repeat: int) -> tuple[float, float]:
    def build_seconds(port: int) -> float:
        with tempfile.TemporaryDirectory() as home:
            script = BUILD_SCRIPT.format(tests=str(ROOT / "tests"), ib_tests=str(ROOT / "tests" / "ib"), home=home)
            env = {**os.environ, "RBTS_IB_PORT": str(port), "RBTS_IB_ACCOUNT": "DU1234567", "RBTS_IB_MAX_CONNECTION_ATTEMPTS": "1"}
            _, result = run_process([PY, "-c", script], env)
            line = [ln for ln in result.stdout.splitlines() if ln.startswith("BUILD")]
            assert line, result.stderr[-2000:]
            return float(line[0].split()[1])

    without = min(build_seconds(free_port()) for _ in range(repeat))
    with FakeTws({"AAPL": sample_bars(pd.Timestamp.now(tz="UTC") - pd.Timedelta(hours=1), pd.Timestamp.now(tz="UTC"), 180.0)}) as tws:
        with_fake = min(build_seconds(tws.port) for _ in range(repeat))
    return without, with_fake


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    dl, write, bars = bench_download(args.days, args.repeat)
    print(f"download {args.days} sessions ({bars:,} bars): {dl:.2f} s ({bars / dl:,.0f} bars/s); "
          f"baseline BarStore.write_frame per day: {write:.2f} s; x{dl / write:.2f}")
    fail, base = bench_fail_fast(args.repeat)
    print(f"rbts data download without gateway -> exit 1: {fail:.2f} s; baseline imports: {base:.2f} s; x{fail / base:.2f}")
    without, with_fake = bench_build(args.repeat)
    print(f"node.build() without gateway: {without:.2f} s; baseline with the fake TWS: {with_fake:.2f} s; x{without / with_fake:.2f}")


if __name__ == "__main__":
    main()
