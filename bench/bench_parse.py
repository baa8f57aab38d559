"""Language benchmarks (issue 4): a generated 1,000-rule strategy.

    .venv/bin/python bench/bench_parse.py [--rules N] [--repeat N]

1. parse + check of the text — target under 0.3 s.  Baseline in the same run:
   Lark's bare LALR parse of the same text with the same grammar into a parse
   tree (no AST, no checks).
2. format_source (canonical text with comments), to_json + dumps, and from_json
   of the JSON text (JSON parse, schema validation, AST), for scale.

Prints a Markdown table; the best of N runs is reported.
"""

from __future__ import annotations

import argparse
import random
import time


def generate(rules: int, seed: int = 7) -> str:
    """A realistic strategy: ~1 let per 10 rules, every rule kind and most functions."""
    rng = random.Random(seed)
    lines = [
        'strategy "bench"', "universe: AAPL, MSFT, NVDA, AMZN, GOOGL, META", "cycle: 5m", "sizing: 10%",
        "order: limit 0.05% ttl 2 cycles", "risk: max_daily_loss 2%", "risk: stop_loss 3%", "",
    ]
    indicators = ["ema", "sma", "wma", "hma", "dema", "rsi"]
    tfs = ["5m", "15m", "1h"]
    lets = []
    for i in range(rules):
        if i % 10 == 0:
            name = f"ma_{i}"
            lines.append(f"let {name} = {rng.choice(indicators)}(close, {rng.randint(5, 50)}, {rng.choice(tfs)})"
                         f"  # let {i}")
            lets.append(name)
        a, b = rng.choice(lets), rng.choice(lets)
        kind = i % 7
        if kind == 0:
            cond = f"{a} crosses_above {b}"
        elif kind == 1:
            cond = f"close > {a} * (1 + {rng.randint(1, 9)}%) within {rng.randint(2, 6)} bars"
        elif kind == 2:
            cond = f"slope(ema(VIX, 9, 5m), 30m) < -{rng.random():.2f} and time in RTH"
        elif kind == 3:
            cond = f"rsi(close, 14, 15m) between {rng.randint(20, 40)} and {rng.randint(60, 80)}"
        elif kind == 4:
            cond = f"not (pct_change(close, 1h) < -2% or {a} < {b}) for 15m"
        elif kind == 5:
            cond = f"highest(high, 2h) - lowest(low, 2h) > atr(14, 5m) * {rng.randint(2, 5)}"
        else:
            cond = f"prev(close, 3) < {b} and time between 09:45 and 15:30"
        scope = "global" if kind == 2 else ("exit" if i % 3 == 0 else "entry")
        if scope == "global":
            cond = f"slope(ema(VIX, 9, 5m), 30m) < -{rng.random():.2f} and time in RTH"
        lines.append(f"{scope} r{i}: {cond}")
    return "\n".join(lines) + "\n"


def _best(fn, repeat: int, clock=time.perf_counter) -> float:
    times = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cpu", action="store_true",
                        help="time with process CPU time (steadier on a loaded machine) instead of wall clock")
    args = parser.parse_args(argv)

    from lark import Lark

    from rbts.dsl.checker import check
    from rbts.dsl.formatter import format_source
    from rbts.dsl.json_form import dumps, from_json, to_json
    from rbts.dsl.grammar import ParenNewlines, grammar_text
    from rbts.dsl.parser import parse

    text = generate(args.rules)
    bare = Lark(grammar_text(), parser="lalr", lexer="contextual", postlex=ParenNewlines(),
                maybe_placeholders=False)
    parse(text)  # warm the parser's cached tables
    strategy = parse(text)
    checked = check(strategy)
    json_text = dumps(to_json(strategy, settings=checked.settings))

    clock = time.process_time if args.cpu else time.perf_counter

    def best(fn):
        return _best(fn, args.repeat, clock)

    rows = [
        ("baseline: Lark bare LALR parse tree", best(lambda: bare.parse(text)), None),
        ("parse + check", best(lambda: check(parse(text))), 0.3),
        ("parse only", best(lambda: parse(text)), None),
        ("format_source (keeps comments)", best(lambda: format_source(text)), None),
        ("to_json + dumps", best(lambda: dumps(to_json(strategy, settings=checked.settings))), None),
        ("from_json (text -> validated AST)", best(lambda: from_json(json_text)), None),
    ]
    base = rows[0][1]
    n_rules = len(strategy.rules)
    print(f"{n_rules} rules, {len(strategy.lets)} lets, {len(text.splitlines())} lines, "
          f"{len(text) / 1024:.0f} KiB text, {len(json_text) / 1024:.0f} KiB JSON; best of {args.repeat}, "
          f"{'CPU' if args.cpu else 'wall-clock'} seconds\n")
    print("| step | seconds | x baseline | target |")
    print("|---|---:|---:|---|")
    for name, seconds, target in rows:
        verdict = "" if target is None else f"< {target} s {'ok' if seconds < target else 'MISSED'}"
        print(f"| {name} | {seconds:.3f} | {seconds / base:.2f} | {verdict} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
