"""The vectorised pre-screen (issue 15): rbts vs vectorbt, 2,000 variants, pre-screen + confirm vs a full grid.

    .venv/bin/python bench/bench_prescreen.py [--variants 2000] [--confirm 16] [--sample 16] [--full-grid]

Data: the synthetic demo model, 10 tickers + VIX x 60 sessions (bench_backtest.make_home),
1-minute RTH bars.  Every measurement runs in its own fresh process (so that its peak
RSS is its own) right after the previous one, on the same data:

* ``rbts-ema``: the EMA-cross grid (fast 5..24 x slow 20..119, 2,000 variants), ``order:
  market``, ``fees: 0.05%``, ``sizing: 1000`` (1/N of the capital; vectorbt's from_signals
  sizes by amount, value or percent of cash only, so 1/N of the *current* equity cannot be
  said there): parse + check every variant, then ``screen`` (bars
  loaded from the catalog, graphs merged, every EMA once per ticker, rule truth, numba
  simulation, metrics.json figures).
* ``vectorbt``: the same grid in vectorbt ``Portfolio.from_signals`` with parameter
  broadcasting: the same 1-minute bars from the catalog, 5-minute closes (pandas resample),
  ``vbt.MA.run(..., ewm=True, run_unique=True)`` for fast and slow, ``ma_crossed_above`` /
  ``ma_crossed_below``, one group per variant with cash sharing, ``size`` = 1,000 USD
  (``value``), whole shares, the same fees, sells before buys; then total return and
  Sharpe of every variant.
* ``rbts-reference``: 2,000 variants of the reference strategy (examples/vix_ema_cross.rbts:
  VIX rule, limit orders, max_daily_loss) -- the issue's "under 60 s on 2 cores" figure.
* ``confirm``: the best ``--confirm`` variants by Sharpe as Nautilus backtests (``run_backtest``,
  one process), and ``--sample`` more drawn at random, to time a Nautilus run and to check
  that the pre-screen's Sharpe equals Nautilus'.  ``--full-grid`` runs all of them (hours).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = (ROOT / "examples" / "vix_ema_cross.rbts").read_text()
FAST, SLOW = range(5, 25), range(20, 120)
FEE = 0.0005


def ema_text(tickers: list[str], fast: int, slow: int) -> str:
    return (f"universe: {', '.join(tickers)}\ncycle: 5m\norder: market\nfees: 0.05%\n"
            f"sizing: {10_000 // len(tickers)}\n"
            f"let fast = ema(close, {fast}, 5m)\nlet slow = ema(close, {slow}, 5m)\n"
            "entry bull_cross: fast crosses_above slow\nexit bear_cross: fast crosses_below slow\n")


def reference_text(tickers: list[str], fast: int, slow: int) -> str:
    return REFERENCE.replace("AAPL, MSFT, NVDA, AMZN", ", ".join(tickers)).replace(
        "ema(close, 9, 5m)", f"ema(close, {fast}, 5m)").replace("ema(close, 21, 5m)", f"ema(close, {slow}, 5m)")


def grid(n: int) -> list[tuple[int, int]]:
    return [(f, s) for f in FAST for s in SLOW][:n]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----------------------------------------------------------------------------- one measurement per process

def run_rbts(args, text_of) -> dict:
    from rbts.dsl.checker import check_text
    from rbts.runtime.prescreen.screen import screen

    import rbts.runtime.prescreen.portfolio  # noqa: F401  (numba functions load from the cache here)
    t0, c0 = time.perf_counter(), time.process_time()
    variants = [check_text(text_of(args.tickers, f, s)) for f, s in grid(args.variants)]
    t1 = time.perf_counter()
    result = screen(variants, args.start, args.end, home=args.home)
    t2 = time.perf_counter()
    table = result.table
    return {"check_s": t1 - t0, "screen_s": t2 - t1, "total_s": t2 - t0, "cpu_s": time.process_time() - c0,
            "variants": len(variants),
            "timings": result.timings, "counts": result.counts, "peak_rss_mb": peak_rss_mb(),
            "sharpe": table["sharpe"].tolist(), "trades": table["trades"].tolist(),
            "total_return": table["total_return"].tolist()}


def run_vectorbt(args) -> dict:
    import pandas as pd
    import vectorbt as vbt

    from rbts.runtime.data.catalog import BarStore
    from rbts.runtime.settings import load_settings

    t0, c0 = time.perf_counter(), time.process_time()
    frames = BarStore(load_settings(args.home)).load_frames(args.tickers, args.start, args.end)
    t1 = time.perf_counter()
    close = pd.DataFrame({s: f["close"].resample("5min", label="right", closed="right").last().dropna()
                          for s, f in frames.items()})
    pairs = grid(args.variants)
    fast = vbt.MA.run(close, window=[f for f, _ in pairs], ewm=True, short_name="fast", run_unique=True)
    slow = vbt.MA.run(close, window=[s for _, s in pairs], ewm=True, short_name="slow", run_unique=True)
    entries = fast.ma_crossed_above(slow)
    exits = fast.ma_crossed_below(slow)
    pf = vbt.Portfolio.from_signals(
        close, entries, exits, size=10_000.0 / len(args.tickers), size_type="value", size_granularity=1,
        fees=FEE, init_cash=10_000.0, cash_sharing=True, group_by=["fast_window", "slow_window"],
        call_seq="auto", freq="5min")
    total_return = pf.total_return()
    sharpe = pf.sharpe_ratio()
    trades = pf.trades.closed.count()
    t2 = time.perf_counter()
    return {"load_s": t1 - t0, "vectorbt_s": t2 - t1, "total_s": t2 - t0, "cpu_s": time.process_time() - c0,
            "variants": len(pairs),
            "peak_rss_mb": peak_rss_mb(), "trades": trades.to_numpy(float).tolist(),
            "total_return": total_return.to_numpy(float).tolist(), "sharpe_5min": sharpe.to_numpy(float).tolist()}


def run_confirm(args) -> dict:
    from rbts.runtime.backtest.runner import run_backtest

    pairs = grid(args.variants)
    out = {}
    for i in args.indices:
        t = time.perf_counter()
        result = run_backtest(reference_text(args.tickers, *pairs[i]), args.start, args.end, home=args.home)
        out[i] = {"seconds": time.perf_counter() - t, "sharpe": result.metrics["sharpe"],
                  "trades": result.metrics["trades"]}
    return {"runs": out, "peak_rss_mb": peak_rss_mb()}


def child(args) -> None:
    if args.one == "rbts-ema":
        out = run_rbts(args, ema_text)
        if args.warm:  # the same again in this process: imports done, numba functions loaded
            out["warm"] = run_rbts(args, ema_text)
    elif args.one == "rbts-reference":
        out = run_rbts(args, reference_text)
    elif args.one == "vectorbt":
        out = run_vectorbt(args)
        if args.warm:  # vectorbt's numba functions are compiled by the first run
            out["warm"] = run_vectorbt(args)
    else:
        out = run_confirm(args)
    print(json.dumps(out))


# ----------------------------------------------------------------------------- driver

def measure(args, what: str, indices=None, variants: int | None = None, warm: bool = False) -> dict:
    cmd = [sys.executable, __file__, "--one", what, "--home", str(args.home), "--start", args.start, "--end",
           args.end, "--variants", str(variants or args.variants), "--tickers", ",".join(args.tickers)]
    if indices is not None:
        cmd += ["--indices", ",".join(map(str, indices))]
    if warm:
        cmd += ["--warm"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def spearman(a, b) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--variants", type=int, default=2000)
    p.add_argument("--confirm", type=int, default=16)
    p.add_argument("--sample", type=int, default=16)
    p.add_argument("--vbt-variants", type=int, default=200,
                   help="variants of the side-by-side run with vectorbt (its broadcasting held >9.5 GB at 2,000)")
    p.add_argument("--full-grid", action="store_true")
    p.add_argument("--one", default=None)
    p.add_argument("--home", type=Path, default=None)
    p.add_argument("--start", default="")
    p.add_argument("--end", default="")
    p.add_argument("--tickers", default="")
    p.add_argument("--indices", default="")
    p.add_argument("--warm", action="store_true", help="(child) measure a second, warm run in the same process")
    p.add_argument("--compare-only", action="store_true", help="only the side-by-side run with vectorbt")
    p.add_argument("--no-confirm", action="store_true", help="the pre-screen figures only, no Nautilus runs")
    p.add_argument("--data", type=Path, default=None, help="keep the generated bars in this folder (reused)")
    args = p.parse_args()
    if args.one:
        args.tickers = args.tickers.split(",")
        args.indices = [int(i) for i in args.indices.split(",") if i]
        return child(args)
    from bench_backtest import make_home, tickers

    with tempfile.TemporaryDirectory() as tmp:
        root = args.data or Path(tmp)
        args.home, args.start, args.end = make_home(root, 10, 60)
        args.tickers = tickers(10)
        report(args)


def report(args) -> None:
    print(f"data: 10 tickers + VIX x 60 sessions ({args.start} .. {args.end}), {args.variants} variants")
    small = args.vbt_variants
    measure(args, "rbts-ema", variants=small)  # warm numba's on-disk cache so that no run below compiles
    ema = measure(args, "rbts-ema", variants=small, warm=True)
    vbt = measure(args, "vectorbt", variants=small, warm=True)
    n = ema["variants"]
    print("\n| EMA-cross grid | seconds | ms per variant | variants/s | peak RSS MB |\n|---|---:|---:|---:|---:|")
    print(f"| rbts pre-screen (check + screen) | {ema['total_s']:.2f} | {1000 * ema['total_s'] / n:.2f} | "
          f"{n / ema['total_s']:.0f} | {ema['peak_rss_mb']:.0f} |")
    print(f"| rbts screen only | {ema['screen_s']:.2f} | {1000 * ema['screen_s'] / n:.2f} | "
          f"{n / ema['screen_s']:.0f} | |")
    print(f"| vectorbt (load + from_signals + stats) | {vbt['total_s']:.2f} | {1000 * vbt['total_s'] / n:.2f} | "
          f"{n / vbt['total_s']:.0f} | {vbt['peak_rss_mb']:.0f} |")
    print(f"rbts/vectorbt time: {ema['total_s'] / vbt['total_s']:.2f}x; rbts timings {fmt(ema['timings'])}")
    ew, vw = ema["warm"], vbt["warm"]
    print(f"| rbts, warm (second run in the process) | {ew['total_s']:.2f} | {1000 * ew['total_s'] / n:.2f} | "
          f"{n / ew['total_s']:.0f} | |")
    print(f"| vectorbt, warm (second run in the process) | {vw['total_s']:.2f} | {1000 * vw['total_s'] / n:.2f} | "
          f"{n / vw['total_s']:.0f} | |")
    print(f"warm rbts/vectorbt time: {ew['total_s'] / vw['total_s']:.2f}x; rbts warm timings {fmt(ew['timings'])}")
    print(f"CPU seconds (all threads; steadier than wall clock on a shared machine): rbts {ema['cpu_s']:.2f} / "
          f"vectorbt {vbt['cpu_s']:.2f} = {ema['cpu_s'] / vbt['cpu_s']:.2f}x fresh; warm rbts {ew['cpu_s']:.2f} / "
          f"vectorbt {vw['cpu_s']:.2f} = {ew['cpu_s'] / vw['cpu_s']:.2f}x; load average {os.getloadavg()[0]:.1f}")
    same = np.mean(np.array(ema["trades"]) == np.array(vbt["trades"]))
    print(f"agreement: same closed+open trade count in {same:.0%} of variants; Spearman of total return "
          f"{spearman(ema['total_return'], vbt['total_return']):.3f}")
    if args.compare_only:
        return
    big = measure(args, "rbts-ema")
    print(f"\nEMA-cross grid, {big['variants']} variants (rbts only): check {big['check_s']:.2f} s + screen "
          f"{big['screen_s']:.2f} s = {big['total_s']:.2f} s ({1000 * big['total_s'] / big['variants']:.2f} ms per "
          f"variant, {big['variants'] / big['total_s']:.0f} variants/s), peak RSS {big['peak_rss_mb']:.0f} MB")
    ref = measure(args, "rbts-reference")
    print(f"\nreference strategy, {ref['variants']} variants: check {ref['check_s']:.2f} s + screen "
          f"{ref['screen_s']:.2f} s = {ref['total_s']:.2f} s, peak RSS {ref['peak_rss_mb']:.0f} MB; "
          f"timings {fmt(ref['timings'])}; counts {ref['counts']}")
    if not args.no_confirm:
        confirm(args, ref)


def confirm(args, ref: dict) -> None:
    sharpe = np.nan_to_num(np.array(ref["sharpe"], dtype=float), nan=-np.inf)
    trades = np.array(ref["trades"])
    order = sorted(range(len(sharpe)), key=lambda i: (trades[i] < 10, -sharpe[i], i))
    best = order[: args.confirm]
    rest = [i for i in range(len(sharpe)) if i not in best]
    sample = sorted(random.Random(15).sample(rest, min(args.sample, len(rest))))
    indices = list(range(len(sharpe))) if args.full_grid else best + sample
    t = time.perf_counter()
    runs = measure(args, "confirm", indices)["runs"]
    wall = time.perf_counter() - t
    per = np.mean([r["seconds"] for r in runs.values()])
    confirm_s = sum(runs[str(i)]["seconds"] for i in best)
    agree = [abs((runs[str(i)]["sharpe"] or 0) - (ref["sharpe"][i] if ref["sharpe"][i] == ref["sharpe"][i] else 0))
             < 1e-9 for i in indices]
    print(f"\nNautilus: {len(indices)} backtests in {wall:.1f} s ({per:.2f} s each, one process); "
          f"pre-screen Sharpe == Nautilus Sharpe in {sum(agree)} of {len(agree)}")
    screen_plus = ref["total_s"] + confirm_s
    full = per * len(sharpe)
    print(f"pre-screen + confirm {args.confirm}: {screen_plus:.1f} s; full grid of {len(sharpe)}: "
          f"{'measured' if args.full_grid else 'estimated'} {full:.0f} s on one core ({full / 2:.0f} s on two); "
          f"speed-up {full / screen_plus:.0f}x (one core each)")
    conf = [runs[str(i)]["sharpe"] for i in best]
    print(f"Spearman pre-screen vs Nautilus over the confirmed {args.confirm}: "
          f"{spearman([ref['sharpe'][i] for i in best], conf):.3f}")
    if args.full_grid:
        full_best = max(indices, key=lambda i: (runs[str(i)]["trades"] >= 10, runs[str(i)]["sharpe"] or -1e9, -i))
        print(f"full grid's best: variant {full_best + 1}; among the confirmed {args.confirm}: {full_best in best}")


def fmt(timings: dict) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in timings.items())


if __name__ == "__main__":
    main()
