"""Market-data benchmarks (issue 5): import speed and bar loading speed.

    .venv/bin/python bench/bench_data.py [--repeat N]

1. ``rbts data import`` of one year of 1-minute bars for one symbol (96,960
   rows, CSV with ISO 8601 offsets) — target under 2 s. Baseline in the same
   run: pandas ``read_csv`` + Nautilus' own path (``Bar`` objects, then
   ``ParquetDataCatalog.write_data``), with no validation at all.
2. Loading 10 symbols x 1 year as Nautilus ``Bar`` lists through
   ``BarStore.load_bars`` (one list per symbol) and ``load_bars_merged`` (one
   sorted list) — target under 3 s. Baseline: one ``ParquetDataCatalog.bars()``
   call for the same bar types.

Prints a Markdown table; the best of N runs is reported (``--cpu``: process CPU
seconds, steadier on a busy machine).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


CLOCK = time.perf_counter


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = CLOCK()
        fn()
        times.append(CLOCK() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cpu", action="store_true", help="process CPU seconds instead of wall clock (for a loaded machine)")
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.cpu else time.perf_counter

    from nautilus_trader.model.data import Bar
    from nautilus_trader.persistence.catalog import ParquetDataCatalog

    from rbts.runtime.data import bar_reader
    from rbts.runtime.data import demo, instruments
    from rbts.runtime.data.catalog import BarStore
    from rbts.runtime.data.importer import import_file
    from rbts.runtime.settings import load_settings

    work = Path(tempfile.mkdtemp(prefix="rbts-bench-data-"))
    try:
        frames = demo.generate()
        frames["SPY"] = frames["AAPL"] * 1.0  # a tenth symbol
        aapl = frames["AAPL"]
        csv = work / "aapl.csv"
        stamps = [t[:-2] + ":" + t[-2:] for t in aapl.index.tz_convert("America/New_York").strftime("%Y-%m-%dT%H:%M:%S%z")]
        out = aapl.reset_index(drop=True)
        out.insert(0, "ts", stamps)
        out.to_csv(csv, index=False)
        rows = len(aapl)

        # 1. import
        def ours() -> None:
            home = work / f"import-{time.perf_counter_ns()}"
            import_file(BarStore(load_settings(home)), csv, "AAPL")

        def baseline_import() -> None:
            home = work / f"nautilus-{time.perf_counter_ns()}"
            df = pd.read_csv(csv)
            ts = pd.to_datetime(df["ts"], utc=True, format="ISO8601")
            ns = pd.DatetimeIndex(ts).as_unit("ns").asi8.astype(np.uint64)
            col = lambda c: np.array(df[c].to_numpy(np.float64), copy=True)  # noqa: E731
            bars = Bar.from_raw_arrays_to_list(
                instruments.bar_type("AAPL", 60), 2, 0, col("open"), col("high"), col("low"), col("close"), col("volume"), ns, ns.copy()
            )
            ParquetDataCatalog(str(home)).write_data(bars)

        t_import = _best(ours, args.repeat)
        t_import_base = _best(baseline_import, args.repeat)

        # 2. load 10 symbols x 1 year as Bars
        home = work / "ten"
        settings = load_settings(home)
        store = BarStore(settings)
        for symbol, frame in frames.items():
            store.write_frame(symbol, frame, 60, {"source": "bench", "synthetic": True})
        symbols = sorted(frames)
        counts = {}

        def load_ours() -> None:
            bar_reader.clear_cache()  # cold: read and decode the files every time
            counts["ours"] = sum(len(store.load_bars(s)) for s in symbols)

        def load_merged() -> None:
            counts["merged"] = len(store.load_bars_merged(symbols))

        def load_theirs() -> None:
            cat = ParquetDataCatalog(str(store.root))
            counts["theirs"] = len(cat.bars([str(instruments.bar_type(s, 60)) for s in symbols]))

        def load_frames_warm() -> None:
            store.load_frames(symbols)

        t_load = _best(load_ours, args.repeat)
        t_load_base = _best(load_theirs, args.repeat)
        t_merged = _best(load_merged, args.repeat)
        store.load_frames(symbols)
        t_frames_warm = _best(load_frames_warm, args.repeat)
        assert counts["ours"] == counts["theirs"] == counts["merged"] == 10 * rows, counts

        print(f"| measure (best of {args.repeat}, {'CPU' if args.cpu else 'wall'} s) | rbts | baseline | ratio | target |")
        print("|---|---|---|---|---|")
        print(f"| import CSV, 1 symbol x 1 year ({rows:,} rows) | {t_import:.2f} s | {t_import_base:.2f} s (read_csv + Nautilus write_data, unvalidated) | {t_import / t_import_base:.2f}x | < 2 s |")
        print(f"| load 10 symbols x 1 year as Nautilus Bars ({10 * rows:,}) | {t_load:.2f} s | {t_load_base:.2f} s (ParquetDataCatalog.bars) | {t_load / t_load_base:.2f}x | < 3 s |")
        print(f"| the same, one merged list (load_bars_merged) | {t_merged:.2f} s | {t_load_base:.2f} s | {t_merged / t_load_base:.2f}x | < 3 s |")
        print(f"| load_frames, same 10 symbols, warm cache | {t_frames_warm:.3f} s | | | |")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
