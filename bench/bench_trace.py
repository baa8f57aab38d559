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

import statistics
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
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        build_home(home)
        file = Path(tmp) / "ref10.rbts"
        file.write_text(STRATEGY)
        out = Path(tmp) / "trace.csv"
        cmd = [RBTS, "--home", str(home), "trace", str(file), "--symbol", "AAPL",
               "--start", "2025-01-01", "--end", "2025-12-31", "--csv", str(out)]
        walls, floors = [], []
        for _ in range(3):
            floors.append(timed(lambda: subprocess.run([PY, "-c", "import pandas"], check=True))[0])
            walls.append(timed(lambda: subprocess.run(cmd, check=True, capture_output=True))[0])
        rows = out.read_text().count("\n") - 1

        from rbts.compiler.incremental import IncrementalProgram
        from rbts.compiler.program import compile_strategy
        from rbts.compiler.replay import run_incremental
        from rbts.compiler.trace import trace_strategy
        from rbts.dsl.checker import check_text
        from rbts.runtime.data.catalog import BarStore
        from rbts.runtime.settings import load_settings

        from rbts.compiler import clock

        clock.sessions("XNYS")  # the calendar is loaded once per process; count it apart
        t_cal = timed(lambda: clock.sessions.__wrapped__("XNYS"))[0]
        checked = check_text(STRATEGY)
        s = checked.settings
        t_load, frames = timed(lambda: BarStore(load_settings(home)).load_frames(s.symbols, "2025-01-01", "2025-12-31"))
        t_comp, prog = timed(lambda: compile_strategy(checked))
        evals = [timed(lambda: prog.evaluate(frames))[0] for _ in range(3)]
        t_trace, tr = timed(lambda: trace_strategy(prog, frames, "AAPL"))
        t_csv = timed(lambda: tr.to_csv())[0]
        resample = [timed(lambda: {k: f.resample("5min", label="right", closed="right").last()
                                   for k, f in frames.items()})[0] for _ in range(3)]
        bars = sum(len(f) for f in frames.values())
        t_inc, results = timed(lambda: run_incremental(IncrementalProgram(prog.graph), frames, s.symbols,
                                                       s.bars_seconds))
        assert len(results) == rows

        ev, rs = statistics.median(evals), statistics.median(resample)
        print(f"data: {len(frames)} symbols, {bars:,} 1-minute bars, {rows:,} cycles")
        print(f"wall `rbts trace --csv` (median of 3):  {statistics.median(walls):.2f} s")
        print(f"  floor `python -c 'import pandas'`:    {statistics.median(floors):.2f} s")
        print(f"in process: load {t_load:.2f} s, compile {t_comp * 1000:.0f} ms, evaluate {ev:.3f} s "
              f"(calendar {t_cal:.2f} s once per process), trace frame {t_trace:.2f} s, CSV {t_csv:.2f} s")
        print(f"  evaluate / pandas 5m resample of all frames ({rs:.3f} s): {ev / rs:.2f}x")
        print(f"incremental: {t_inc:.2f} s for {bars:,} bars = {t_inc / bars * 1e6:.2f} us/bar")


if __name__ == "__main__":
    main()
