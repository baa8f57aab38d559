"""Backtest speed (issue 7): rbts vs a hand-written Nautilus strategy vs the empty-strategy floor.

    .venv/bin/python bench/bench_backtest.py [--quick]

Data: the synthetic demo model (runtime/data/demo.py) with extra tickers added for the
10- and 30-ticker runs, written to a temporary home.  Every timing is the best of
``--repeat`` runs in this process and includes loading bars from the catalog.
* rbts: ``run_backtest`` of the reference strategy (parse, check, compile, load,
  Nautilus run with RuleStrategy, reports, metrics, files written).
* hand: bench/hand_strategy.HandEmaCross, the same rules written directly for
  Nautilus (5m INTERNAL bars, Nautilus EMAs), same engine settings; its trades must
  equal rbts' trades.
* empty: a strategy that only subscribes to the 1-minute bars.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.filterwarnings("ignore")

from hand_strategy import EmptyStrategy, HandConfig, HandEmaCross  # noqa: E402

from rbts.runtime.backtest.engine import build_engine
from rbts.runtime.strategy.instruments import sim_instrument  # noqa: E402
from rbts.runtime.backtest.runner import run_backtest  # noqa: E402
from rbts.runtime.strategy.bars import external_bar_type  # noqa: E402
from rbts.runtime.data import demo  # noqa: E402
from rbts.runtime.data.catalog import BarStore  # noqa: E402
from rbts.runtime.settings import load_settings  # noqa: E402

CLOCK = time.perf_counter  # --cpu: process CPU time (robust to a loaded machine)
REFERENCE = (Path(__file__).resolve().parents[1] / "examples" / "vix_ema_cross.rbts").read_text()
EXTRA = [f"X{i:02d}" for i in range(1, 23)]  # tickers 9..30, same model family as the demo set


def tickers(n: int) -> list[str]:
    return (list(demo.STOCKS)[:8] + EXTRA)[:n] if n > 8 else list(demo.STOCKS)[:n]


def make_home(root: Path, n_tickers: int, n_sessions: int) -> tuple[Path, str, str]:
    for i, name in enumerate(EXTRA):  # bench-only models: varied betas, prices and volumes
        demo.STOCKS.setdefault(name, demo.TickerModel(50.0 + 15 * i, 0.8 + 0.05 * i, 0.0007, 0.05, 40_000))
    demo.DEMO_SYMBOLS = (*demo.STOCKS, *demo.INDEXES)
    days = demo.sessions().index[:n_sessions]
    start, end = str(days[0].date()), str(days[-1].date())
    home = root / f"h{n_tickers}x{n_sessions}"
    home.mkdir(parents=True, exist_ok=True)
    demo.write_demo(BarStore(load_settings(home)), symbols=(*tickers(n_tickers), "VIX"), start=start, end=end)
    return home, start, end


def time_rbts(home, start, end, symbols, out):
    t = CLOCK()
    result = run_backtest(REFERENCE, start, end, symbols=symbols, home=home)
    result.write(out)
    return CLOCK() - t, result


def _engine(home, start, end, symbols):
    frames = BarStore(load_settings(home)).load_frames([*symbols, "VIX"], start, end)
    instruments = {s: sim_instrument(s, None, s == "VIX") for s in [*symbols, "VIX"]}
    engine, total = build_engine(10_000.0, instruments, 60, frames)
    last = max(f.index[-1] for f in frames.values())
    return engine, instruments, total, last


def time_hand(home, start, end, symbols):
    t = CLOCK()
    engine, inst, total, last = _engine(home, start, end, symbols)
    strategy = HandEmaCross(HandConfig(tickers=tuple(str(inst[s].id) for s in symbols), vix=str(inst["VIX"].id)))
    engine.add_strategy(strategy)
    engine.run(end=last + pd.Timedelta("1min"))
    assert engine.get_result().iterations == total
    trades = sorted((p.instrument_id.symbol.value, p.ts_opened - p.ts_opened % 10**9, p.avg_px_open,
                     p.ts_closed - p.ts_closed % 10**9 if p.is_closed else None, float(p.peak_qty))
                    for p in engine.cache.positions())
    fills = engine.trader.generate_fills_report()
    engine.dispose()
    return CLOCK() - t, trades, len(fills)


def time_empty(home, start, end, symbols):
    t = CLOCK()
    engine, inst, total, last = _engine(home, start, end, symbols)
    engine.add_strategy(EmptyStrategy([external_bar_type(i.id, 60) for i in inst.values()]))
    engine.run(end=last + pd.Timedelta("1min"))
    assert engine.get_result().iterations == total
    engine.dispose()
    return CLOCK() - t, total


def rbts_trades(result):
    t = result.trades
    return sorted((r.symbol, r.entry_ts.value, r.entry_price, None if pd.isna(r.exit_ts) else r.exit_ts.value, r.qty)
                  for r in t.itertuples())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="only the 10 x 60 comparison")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cpu", action="store_true", help="report process CPU seconds instead of wall-clock")
    args = parser.parse_args()
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    shapes = [(10, 60)] if args.quick else [(10, 60), (1, 60), (30, 60), (10, 250)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print("| tickers x sessions | 1m bars | empty floor s | hand-written s | rbts s | rbts/hand | rbts/empty "
              "| trades | same trades |")
        print("|---|---|---|---|---|---|---|---|---|")
        for n, days in shapes:
            home, start, end = make_home(root, n, days)
            symbols = tickers(n)
            best = {"rbts": 1e9, "hand": 1e9, "empty": 1e9}
            for _ in range(args.repeat):
                s, result = time_rbts(home, start, end, symbols, root / "out")
                best["rbts"] = min(best["rbts"], s)
                s, hand, _ = time_hand(home, start, end, symbols)
                best["hand"] = min(best["hand"], s)
                s, bars = time_empty(home, start, end, symbols)
                best["empty"] = min(best["empty"], s)
            same = rbts_trades(result) == hand
            print(f"| {n} x {days} | {bars:,} | {best['empty']:.2f} | {best['hand']:.2f} | {best['rbts']:.2f} "
                  f"| {best['rbts'] / best['hand']:.2f} | {best['rbts'] / best['empty']:.2f} "
                  f"| {len(hand)} | {'yes' if same else 'NO'} |", flush=True)


if __name__ == "__main__":
    main()
