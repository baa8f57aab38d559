"""Benchmark: `rbts trace` of the reference strategy over one year x 10 tickers + VIX.

Builds a throw-away home with the synthetic demo year (8 stocks + VIX) plus two more
synthetic tickers (demo AAPL/MSFT walks rescaled, labelled synthetic), then measures:

* wall: `rbts trace ... --csv` end to end in a fresh process (median of 3);
* in process: load bars, compile, vectorised evaluation, trace frame, CSV;
* incremental: every bar through the incremental evaluator (what a backtest adds);
* baselines in the same run: `python -c "import pandas"` (process + import floor)
  and a pandas 5-minute resample of every frame (an evaluation floor).

Run: .venv/bin/python bench/bench_trace.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
RBTS = str(Path(PY).parent / "rbts")
UNIVERSE = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AMD", "SYNA", "SYNB")
STRATEGY = (ROOT / "examples" / "vix_ema_cross.rbts").read_text().replace(
    "universe: AAPL, MSFT, NVDA, AMZN", "universe: " + ", ".join(UNIVERSE))


def build_home(home: Path) -> None:
    from rbts.runtime.data import demo
    from rbts.runtime.data.catalog import BarStore
    from rbts.runtime.settings import load_settings

    store = BarStore(load_settings(home))
    demo.write_demo(store)
    frames = demo.generate(("AAPL", "MSFT"))
    for new, old, scale in (("SYNA", "AAPL", 0.37), ("SYNB", "MSFT", 0.21)):
        f = frames[old].copy()
        f[["open", "high", "low", "close"]] = (f[["open", "high", "low", "close"]] * scale).round(2)
        store.write_frame(new, f, 60, {"source": f"bench: SYNTHETIC ({old} demo walk x {scale})"})


def timed(fn):
    """(wall seconds, CPU seconds of this process and its children, result)."""
    import resource

    def cpu():
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    t, c = time.perf_counter(), cpu()
    out = fn()
    return time.perf_counter() - t, cpu() - c, out


def best(fn, n=3):
    runs = [timed(fn) for _ in range(n)]
    return min(r[0] for r in runs), min(r[1] for r in runs), runs[-1][2]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        build_home(home)
        file = Path(tmp) / "ref10.rbts"
        file.write_text(STRATEGY)
        out = Path(tmp) / "trace.csv"
        cmd = [RBTS, "--home", str(home), "trace", str(file), "--symbol", "AAPL",
               "--start", "2025-01-01", "--end", "2025-12-31", "--csv", str(out)]
        floor = best(lambda: subprocess.run([PY, "-c", "import pandas"], check=True))
        wall = best(lambda: subprocess.run(cmd, check=True, capture_output=True))
        rows = out.read_text().count("\n") - 1

        from rbts.compiler.incremental import IncrementalProgram
        from rbts.compiler.program import compile_strategy
        from rbts.compiler.replay import run_incremental
        from rbts.compiler.trace import trace_strategy
        from rbts.dsl.checker import check_text
        from rbts.runtime.data.catalog import BarStore
        from rbts.runtime.settings import load_settings

        checked = check_text(STRATEGY)
        s = checked.settings
        load = best(lambda: BarStore(load_settings(home)).load_frames(s.symbols, "2025-01-01", "2025-12-31"), 1)
        frames = load[2]
        prog = compile_strategy(checked)
        cal = timed(lambda: prog.evaluate(frames, symbols=("AAPL",)))  # first call loads the XNYS calendar
        one = best(lambda: prog.evaluate(frames, symbols=("AAPL",)))
        full = best(lambda: prog.evaluate(frames))
        trace = best(lambda: trace_strategy(prog, frames, "AAPL"))
        csv = best(lambda: trace[2].to_csv())
        resample = best(lambda: {k: f.resample("5min", label="right", closed="right").last() for k, f in frames.items()})
        bars = sum(len(f) for f in frames.values())
        inc = best(lambda: run_incremental(IncrementalProgram(prog.graph), frames, s.symbols, s.bars_seconds), 1)
        assert len(inc[2]) == rows

        def line(name, m, base=None):
            ratio = f"{m[1] / base[1]:.2f}" if base else ""
            print(f"| {name} | {m[0]:.3f} | {m[1]:.3f} | {ratio} |")

        print(f"data: {len(frames)} symbols, {bars:,} 1-minute bars, {rows:,} cycles")
        print("| step | wall s | CPU s | x baseline (CPU) |\n|---|---:|---:|---:|")
        line("baseline: `python -c 'import pandas'`", floor)
        line("`rbts trace --csv` end to end", wall, floor)
        line("load_frames (11 symbols, 1 year)", load)
        line("first evaluate (loads the XNYS calendar)", cal)
        line("baseline: pandas 5m resample of every frame", resample)
        line("evaluate for one ticker (what trace does)", one, resample)
        line("evaluate everything (10 tickers)", full, resample)
        line("trace_strategy (evaluate + frame)", trace, resample)
        line("TraceResult.to_csv", csv)
        line(f"incremental, every bar ({inc[1] / bars * 1e6:.2f} us CPU a bar)", inc)


if __name__ == "__main__":
    main()
