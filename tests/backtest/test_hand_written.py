"""rbts and the hand-written Nautilus strategy of bench/ make the same trades on the demo data."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from rbts.runtime.backtest.engine import build_engine
from rbts.runtime.strategy.instruments import sim_instrument
from rbts.runtime.backtest.runner import run_backtest
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from hand_strategy import HandConfig, HandEmaCross  # noqa: E402

REFERENCE = (ROOT / "examples" / "vix_ema_cross.rbts").read_text()

TICKERS = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AMD"]
START, END = "2025-03-03", "2025-03-21"


@pytest.mark.slow
def test_same_trades_as_the_hand_written_strategy(small_demo_home):
    text = REFERENCE.replace("< -0.25", "< 0.3")  # looser VIX rule: more trades in three weeks
    result = run_backtest(text, START, END, symbols=TICKERS, home=small_demo_home)
    frames = BarStore(load_settings(small_demo_home)).load_frames([*TICKERS, "VIX"], START, END)
    inst = {s: sim_instrument(s, None, s == "VIX") for s in [*TICKERS, "VIX"]}
    engine, total = build_engine(10_000.0, inst, 60, frames)
    last = max(f.index[-1] for f in frames.values())
    engine.add_strategy(HandEmaCross(HandConfig(tickers=tuple(str(inst[s].id) for s in TICKERS),
                                                 vix=str(inst["VIX"].id), vix_slope_max=0.3)))
    engine.run(end=last + pd.Timedelta("1min"))
    assert engine.get_result().iterations == total
    hand = sorted((p.instrument_id.symbol.value, p.ts_opened - p.ts_opened % 10**9, p.avg_px_open,
                   p.ts_closed - p.ts_closed % 10**9 if p.is_closed else None, float(p.peak_qty))
                  for p in engine.cache.positions())
    mine = sorted((t.symbol, t.entry_ts.value, t.entry_price, None if pd.isna(t.exit_ts) else t.exit_ts.value, t.qty)
                  for t in result.trades.itertuples())
    assert len(mine) >= 10
    assert mine == hand
    engine.dispose()
