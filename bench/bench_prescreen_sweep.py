"""``rbts sweep --prescreen 16`` end to end, as a user runs it (issue 15's "done when").

    .venv/bin/python bench/bench_prescreen_sweep.py [--tickers 10] [--sessions 60]
        [--fast 5..24] [--slow 20..119] [--k 16] [--workers 2] [--data DIR] [--full-grid]

The reference strategy (examples/vix_ema_cross.rbts) with its EMA lengths as params, over the
synthetic demo model's tickers x sessions (``bench_backtest.make_home``): the default grid is
20 x 100 = 2,000 variants.  The command runs in its own process (the CLI a user types), timed
from start to exit; then the files are checked: results.csv has a row per variant, exactly K of
them confirmed (status ok), the rest screened; sweep.json's prescreen block and its Spearman rank
correlation.  Prints a Markdown table: wall seconds, the pre-screen's share, the confirmations',
peak RSS of the command and its children.  ``--full-grid`` then runs the same grid without the
pre-screen (every variant a Nautilus backtest) and says whether its best is among the confirmed K
(affordable for a smaller grid, e.g. ``--fast 5..14 --slow "20..56 step 4"``: 100 variants).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_backtest import REFERENCE, make_home, tickers  # noqa: E402


def params_text(symbols: list[str], fast: str, slow: str) -> str:
    """The reference strategy on ``symbols`` with ``param fast_len = 5 in 5..24`` and the like."""
    text = REFERENCE.replace("AAPL, MSFT, NVDA, AMZN", ", ".join(symbols))
    text = text.replace("ema(close, 9, 5m)", "ema(close, fast_len, 5m)").replace("ema(close, 21, 5m)",
                                                                              "ema(close, slow_len, 5m)")
    lines = text.splitlines()
    first_let = next(i for i, line in enumerate(lines) if line.startswith(("let ", "global ", "entry ")))
    declared = [f"param fast_len = {fast.split('..')[0]} in {fast}", f"param slow_len = {slow.split('..')[0]} in {slow}"]
    return "\n".join([*lines[:first_let], *declared, *lines[first_let:]]) + "\n"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--tickers", type=int, default=10)
    p.add_argument("--sessions", type=int, default=60)
    p.add_argument("--fast", default="5..24")
    p.add_argument("--slow", default="20..119")
    p.add_argument("--k", type=int, default=16)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--full-grid", action="store_true", help="also run every variant in Nautilus and compare")
    p.add_argument("--data", type=Path, default=None, help="keep the generated bars in this folder (reused)")
    args = p.parse_args()

    root = args.data or Path(tempfile.mkdtemp(prefix="rbts-bench-psweep-"))
    home, start, end = make_home(root, args.tickers, args.sessions)
    strategy = root / "reference_params.rbts"
    strategy.write_text(params_text(tickers(args.tickers), args.fast, args.slow))
    out = root / f"sweep-{time.strftime('%H%M%S')}"
    wall = sweep(home, strategy, start, end, out, args.workers, ["--prescreen", str(args.k)])

    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    data = json.loads((out / "sweep.json").read_text())
    block = data["prescreen"]
    statuses = {s: sum(r["status"] == s for r in rows) for s in ("ok", "screened", "error")}
    variants = block["variants"]
    assert len(rows) == variants, (len(rows), variants)
    assert statuses["ok"] + statuses["error"] - block["errors"] == args.k == len(block["confirmed"]), statuses
    undefined = sum(r["prescreen_sharpe"] == "" for r in rows if r["status"] == "screened")  # e.g. fast = slow: no trade
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print(f"\n{variants:,} variants ({args.fast} x {args.slow}) of the reference strategy, {args.tickers} tickers "
          f"x {args.sessions} sessions ({start} .. {end}), K = {args.k}, {args.workers} workers\n")
    print("| step | seconds |\n|---|---:|")
    print(f"| `rbts sweep --prescreen {args.k}`, start to exit | {wall:.1f} |")
    print(f"| of which the pre-screen (sweep.json prescreen.seconds) | {block['seconds']:.1f} |")
    print(f"| of which the {args.k} Nautilus backtests and the rest | {wall - block['seconds']:.1f} |")
    print(f"\nrows: {len(rows):,} ({statuses['ok']} ok, {statuses['screened']:,} screened, {statuses['error']} error; "
          f"{undefined} screened without a Sharpe ratio); "
          f"Spearman over the confirmed: {block['spearman']}; best: {data['best']}; "
          f"deflated Sharpe {data['deflated_sharpe']} (counting every screened variant: "
          f"{block.get('deflated_sharpe')}); sweep.json wall {data['timings']['wall_seconds']} s; peak RSS of the largest process {children:.0f} MB")
    if args.full_grid:
        full_out = root / f"full-{time.strftime('%H%M%S')}"
        full_wall = sweep(home, strategy, start, end, full_out, args.workers, [])
        full = json.loads((full_out / "sweep.json").read_text())
        best = full["best"]["variant"] if full["best"] else None
        print(f"\n| full Nautilus grid of the same {variants:,} variants | {full_wall:.1f} |")
        print(f"\nspeed-up {full_wall / wall:.1f}x; the full grid's best is variant {best} {full['best']}: "
              f"{'among' if best in block['confirmed'] else 'NOT among'} the confirmed {args.k} "
              f"({block['confirmed']}); the pre-screened sweep's best: {data['best']}")


def sweep(home: Path, strategy: Path, start: str, end: str, out: Path, workers: int, extra: list[str]) -> float:
    """``rbts sweep`` in its own process; its wall seconds."""
    cmd = [sys.executable, "-m", "rbts.runtime.cli.app", "--home", str(home), "sweep", str(strategy),
           "--start", start, "--end", end, "--workers", str(workers), "--out", str(out), *extra]
    print(" ".join(cmd[2:]), flush=True)
    began = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
        raise SystemExit(f"rbts sweep exited with {done.returncode}")
    return wall


if __name__ == "__main__":
    main()
