"""The three input shapes that took quadratic time (issue #13), timed at growing sizes.

    .venv/bin/python bench/bench_hostile.py [--sizes 1000,2000,4000,8000] [--repeat 3] [--cpu]

Each shape is timed the way a user meets it: read the file, parse it (with error
recovery), check it, and render every diagnostic as the CLI prints them.

1. ``paren``: an open parenthesis on line 2 and a bad character N lines later
   (the parser's error recovery walked back over every earlier line per line).
2. ``unknown``: N rules each using an unknown name (the checker rebuilt the list of
   lets per unknown name; rendering split the whole source per diagnostic).
3. ``json``: the JSON form of N rules each using an unknown name (from_json + check
   + rendering every diagnostic with its JSON line).

Baseline in the same run: parse + check of a *valid* strategy with the same number of
lines. Linear growth shows as a ratio t(N) / t(N/2) near 2 and a steady "x baseline";
quadratic growth shows as ratios near 4.
"""

from __future__ import annotations

import argparse
import time


def paren_text(n: int) -> str:
    body = "  close +\n" * n
    return 'universe: AAPL\nentry: (\n' + body + "  $ 1\n"


def unknown_text(n: int) -> str:
    return "universe: AAPL\n" + "".join(f"entry r{i}: missing_{i} > 1\n" for i in range(n))


def valid_text(n: int) -> str:
    return "universe: AAPL\n" + "".join(f"entry r{i}: close > {i}\n" for i in range(n))


def unknown_json(n: int) -> str:
    from rbts.dsl.json_form import dumps, to_json
    from rbts.dsl.parser import parse

    strategy = parse("universe: AAPL\ncycle: 1m\n" + "".join(f"entry r{i}: close > 1\n" for i in range(n)))
    data = to_json(strategy, default_name="bench")
    for i, rule in enumerate(data["body"]):
        rule["cond"]["left"] = {"node": "name", "name": f"missing_{i}"}
    return dumps(data)


def run_text(text: str) -> int:
    """What `rbts compile` does with a .rbts file: the number of diagnostics rendered."""
    from rbts.dsl.checker import check
    from rbts.dsl.errors import RbtsError
    from rbts.dsl.parser import parse

    try:
        check(parse(text, "bench.rbts"), "bench.rbts")
    except RbtsError as exc:
        exc = exc.with_source("bench.rbts", text)
        exc.render()
        return len(exc.diagnostics)
    return 0


def run_json(text: str) -> int:
    from rbts.dsl.checker import check
    from rbts.dsl.errors import RbtsError
    from rbts.dsl.json_form import from_json

    try:
        check(from_json(text, "bench.json"), "bench.json")
    except RbtsError as exc:
        exc = exc.with_source("bench.json", text)
        exc.render()
        return len(exc.diagnostics)
    return 0


def _best(fn, repeat: int, clock) -> float:
    times = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,2000,4000,8000,16000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cpu", action="store_true", help="process CPU time (steadier on a shared machine)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    clock = time.process_time if args.cpu else time.perf_counter
    run_text(valid_text(10))  # warm the parser's tables

    shapes = {
        "paren": (paren_text, run_text),
        "unknown": (unknown_text, run_text),
        "json": (unknown_json, run_json),
    }
    print(f"best of {args.repeat}, {'CPU' if args.cpu else 'wall-clock'} seconds\n")
    print("| shape | N | KiB | diagnostics | seconds | x t(N/2) | baseline: valid N-line text | x baseline |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, (make, run) in shapes.items():
        previous = None
        for n in sizes:
            text = make(n)
            count = run(text)
            seconds = _best(lambda: run(text), args.repeat, clock)
            valid = valid_text(n)
            base = _best(lambda: run_text(valid), args.repeat, clock)
            growth = f"{seconds / previous:.2f}" if previous else ""
            print(f"| {name} | {n:,} | {len(text) / 1024:,.0f} | {count:,} | {seconds:.3f} | {growth} | {base:.3f} | {seconds / base:.2f} |",
                  flush=True)
            previous = seconds
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
