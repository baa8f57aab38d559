"""Sweep speed (issue 14): local worker processes and Ray against backtests one after another.

    .venv/bin/python bench/bench_sweep.py [--variants 16] [--grow 64] [--no-ray]

Data: the synthetic demo model, 10 tickers + VIX x 60 sessions (bench_backtest.make_home),
written to a temporary home.  Variants: the reference strategy (examples/vix_ema_cross.rbts)
with its two EMA lengths as params (SPEC §6.1), a fast_len x slow_len grid; the sequential
baseline loads each variant as ``rbts backtest --set`` does.  Every figure is wall clock, measured in
this one run:

* sequential: the variants' ``run_backtest`` one after another in this process (the first
  run also pays the imports; it is reported apart as the warm-up and not counted);
* local: ``rbts sweep``'s engine on 2 local worker processes (workers started, strategy
  loaded, every variant run and journalled, files written);
* per variant in a worker: the mean of the runs' own seconds (``journal.jsonl``) vs the mean
  warm standalone ``run_backtest`` of the same variants;
* ray: the same sweep on a Ray head started here on 127.0.0.1 with 2 CPUs;
* growth: the local sweep of ``--grow`` variants vs ``--variants``;
* CPU seconds (the machine is shared, so wall clock swings with other people's load): the
  sequential runs' process CPU vs the worker processes' CPU over the local sweep (their
  start-up included; ``RUSAGE_CHILDREN`` of the workers, which are joined when it ends).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_backtest import make_home, tickers  # noqa: E402

from rbts.runtime.backtest.runner import run_backtest  # noqa: E402
from rbts.runtime.research.local import LocalExecutor  # noqa: E402
from rbts.runtime.research.ranking import Ranking  # noqa: E402
from rbts.runtime.research.space import Space  # noqa: E402
from rbts.runtime.research.sweep import Sweep, SweepRequest  # noqa: E402
from rbts.dsl.load import load_strategy  # noqa: E402
from rbts.runtime.research.tasks import ParamStrategy  # noqa: E402

REFERENCE = (Path(__file__).resolve().parents[1] / "examples" / "vix_ema_cross.rbts").read_text()
FASTS = (4, 5, 6, 7, 8, 9, 10, 11)
SLOWS = (20, 21, 24, 26, 28, 30, 35, 40)
PARAMS = REFERENCE.replace("ema(close, 9, 5m)", "ema(close, fast_len, 5m)", 1) \
    .replace("ema(close, 21, 5m)", "ema(close, slow_len, 5m)", 1) \
    .replace("\nlet fast", f"\nparam fast_len = 9 in {list(FASTS)}\nparam slow_len = 21 in {list(SLOWS)}\n\nlet fast", 1)


def space(n: int) -> Space:
    """n variants: a fast x slow grid (4 x 4 for 16, 8 x 8 for 64)."""
    side = int(round(n ** 0.5))
    return Space.of({"fast_len": FASTS[:side], "slow_len": SLOWS[:side]})


def variant(values: dict):
    """A variant as ``rbts backtest --set fast_len=.. --set slow_len=..`` loads it."""
    return load_strategy(PARAMS, overrides={k: str(v) for k, v in values.items()})


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sweep(home, start, end, symbols, n, out, executor) -> tuple[float, dict]:
    request = SweepRequest(strategy=ParamStrategy(PARAMS), space=space(n), start=start, end=end, home=str(home),
                           out=out, fingerprint=f"bench-{n}", tickers=tuple(symbols), ranking=Ranking("sharpe", 0))
    started = time.perf_counter()
    outcome = Sweep(request, executor).run()
    wall = time.perf_counter() - started
    assert outcome.status == "finished" and outcome.summary["counts"]["error"] == 0, outcome.summary["counts"]
    return wall, outcome.summary


def run_seconds(out: Path) -> list[float]:
    return [json.loads(line)["seconds"] for line in (out / "journal.jsonl").read_text().splitlines()]


def sequential(home, start, end, symbols, n) -> tuple[float, float, list[float], dict]:
    first = time.perf_counter()
    values = list(space(n).grid())
    run_backtest(variant(values[0]), start, end, symbols=symbols, home=home)  # imports, caches
    warm_up = time.perf_counter() - first
    each, cpu, metrics = [], [], {}
    for v in values:
        t, c = time.perf_counter(), time.process_time()
        result = run_backtest(variant(v), start, end, symbols=symbols, home=home)
        each.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        metrics[(v["fast_len"], v["slow_len"])] = result.metrics
    return sum(each), warm_up, each, cpu, metrics


def ray_sweep(root, home, start, end, symbols, n):
    from support.ray_head import LOOPBACK_ENV, RayHead

    from rbts.runtime.research.ray_executor import RayExecutor

    os.environ.update(LOOPBACK_ENV)  # before Ray is imported
    head = RayHead(root, cpus=2)
    try:
        head.wait_ready()
        return sweep(home, start, end, symbols, n, root / f"ray{n}", RayExecutor(head.address, workers=2))
    finally:
        head.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=16)
    parser.add_argument("--grow", type=int, default=64)
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home, start, end = make_home(root, 10, args.sessions)
        symbols = tickers(10)
        start, end = date.fromisoformat(start), date.fromisoformat(end)
        n = args.variants
        print(f"(load average at the start: {os.getloadavg()[0]:.1f})", flush=True)
        print(f"| measure (10 tickers + VIX x {args.sessions} sessions) | wall s | ratio |")
        print("|---|---:|---:|", flush=True)
        seq, warm_up, each, cpu, metrics = sequential(home, start, end, symbols, n)
        row("warm-up: first run_backtest in this process (imports, caches), not counted", warm_up, None)
        row(f"sequential: {n} run_backtest one after another", seq, 1.0)
        before = children_cpu()
        local, summary = sweep(home, start, end, symbols, n, root / f"local{n}", LocalExecutor(2))
        workers_cpu = children_cpu() - before
        in_worker = run_seconds(root / f"local{n}")
        for line in (root / f"local{n}" / "journal.jsonl").read_text().splitlines():  # same results, bit for bit
            line = json.loads(line)
            assert line["metrics"] == metrics[(line["values"]["fast_len"], line["values"]["slow_len"])]
        row(f"local: sweep of {n} on 2 worker processes", local, local / seq)
        row("per variant: warm standalone run_backtest (mean)", statistics.fmean(each), 1.0)
        row("per variant: inside a worker (mean)", statistics.fmean(in_worker),
            statistics.fmean(in_worker) / statistics.fmean(each))
        row(f"CPU s: {n} run_backtest one after another (process CPU)", sum(cpu), 1.0)
        row(f"CPU s: the 2 workers of the local sweep of {n}, start-up included", workers_cpu, workers_cpu / sum(cpu))
        if args.grow:
            grown, _ = sweep(home, start, end, symbols, args.grow, root / f"local{args.grow}", LocalExecutor(2))
            row(f"local: sweep of {args.grow} on 2 worker processes", grown, grown / local)
        if not args.no_ray:
            on_ray, ray_summary = ray_sweep(root, home, start, end, symbols, n)
            assert ray_summary["best"] == summary["best"]
            row(f"ray: sweep of {n} on a local Ray head, 2 CPUs", on_ray, on_ray / local)
        print(f"(load average at the end: {os.getloadavg()[0]:.1f})")


def row(label: str, seconds: float, ratio: float | None) -> None:
    print(f"| {label} | {seconds:.2f} | {'' if ratio is None else f'{ratio:.2f}'} |", flush=True)


if __name__ == "__main__":
    main()
