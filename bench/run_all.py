"""Every benchmark in bench/, one after the other: ``make bench``.

    .venv/bin/python bench/run_all.py [--quick] [--only NAME[,NAME]] [--list]

Each ``bench_*.py`` runs as its own process (a fresh interpreter, as its README section
measures it) and prints its Markdown table; this script prints a heading before each and a
summary at the end (seconds each took, and which failed).  ``--quick`` passes each script
its smaller settings (for a check that every benchmark still runs, not for figures).
A benchmark that fails does not stop the others; the exit status is 1 if any failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# name -> arguments for --quick (the full run uses each script's own defaults)
QUICK: dict[str, list[str]] = {
    "parse": ["--rules", "200", "--repeat", "2", "--cpu"],
    "trace": [],
    "data": ["--repeat", "1", "--cpu"],
    "hostile": ["--sizes", "1000,4000", "--repeat", "1", "--cpu"],
    "backtest": ["--quick", "--repeat", "1"],
    "live": ["--sessions", "2"],
    "ib": ["--days", "3", "--repeat", "1"],
    "prescreen": ["--variants", "200", "--confirm", "4", "--sample", "4", "--vbt-variants", "50"],
    "prescreen_sweep": ["--tickers", "4", "--sessions", "10", "--fast", "5..6", "--slow", "20..21", "--k", "2"],
    "sweep": ["--variants", "4", "--grow", "0", "--sessions", "5", "--no-ray"],
}


def benchmarks() -> list[str]:
    """Every bench_*.py in this folder, in a fixed order (the language first)."""
    found = sorted(p.stem.removeprefix("bench_") for p in BENCH.glob("bench_*.py"))
    order = list(QUICK)
    return sorted(found, key=lambda n: (order.index(n) if n in order else len(order), n))


def run(name: str, quick: bool) -> tuple[int, float]:
    args = QUICK.get(name, []) if quick else []
    command = [sys.executable, str(BENCH / f"bench_{name}.py"), *args]
    print(f"\n## {name}: {' '.join(['bench/' + Path(command[1]).name, *args])}\n", flush=True)
    start = time.perf_counter()
    code = subprocess.run(command, cwd=BENCH.parent).returncode
    return code, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="each benchmark's smaller settings")
    parser.add_argument("--only", default="", help="comma-separated names, e.g. parse,trace")
    parser.add_argument("--list", action="store_true", help="print the benchmark names and exit")
    args = parser.parse_args(argv)
    names = benchmarks()
    if args.list:
        print("\n".join(names))
        return 0
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in names]
        if unknown:
            parser.error(f"no benchmark named {', '.join(unknown)} (have: {', '.join(names)})")
        names = [n for n in names if n in wanted]
    results = {name: run(name, args.quick) for name in names}
    print("\n## summary\n\n| benchmark | exit | seconds |\n|---|---:|---:|")
    for name, (code, seconds) in results.items():
        print(f"| {name} | {code} | {seconds:.1f} |")
    failed = [n for n, (code, _) in results.items() if code != 0]
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
