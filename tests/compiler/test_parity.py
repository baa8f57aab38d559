"""Vectorised and incremental evaluators agree on every cycle (states exactly, values to 1e-9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.compiler_cases import assert_parity, nasty_frames, program

from rbts.compiler.program import compile_strategy
from rbts.dsl.checker import check_text
from rbts.runtime.data import demo

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.rbts"))

KITCHEN_SINK = """
let fast = ema(close, 9, 5m)
let slow = sma(close, 21, 5m)
let spread = fast - slow
let calm = VIX < 21 or VIX between 25 and 26
let mixed = close - ema(close, 4, 15m) + sma(VIX, 3, 1h) / 10
entry a: fast crosses_above slow and calm
entry b: wma(close, 5) > hma(close, 9, 5m) or dema(close, 4, 15m) > close
entry c: rsi(close, 14, 5m) between 30 and 70 within 4 bars
exit d: atr(5, 5m) > 0.05 for 3 bars
exit e: vwap(5m) < close and bb_upper(close, 10, 2, 5m) > bb_lower(close, 10, 1.5, 5m)
exit f: macd(close, 5, 13, 5m) crosses macd_signal(close, 5, 13, 4, 5m)
exit g: highest(high, 30m) - lowest(low, 6 bars) > 2 * change(close, 10m) or pct_change(close, 1h) < -1%
exit h: slope(spread, 15m) > prev(spread, 2) and not (mixed > 200)
exit i: ema(fast, 3, 15m) > ema(close, 2, 1h) and sma(close, 2, 4h) > 0 and ema(close, 2, 1d) > 0
exit j: time in ETH and not time in RTH or time between 20:00 and 04:00
exit k: ema(close, 3, 10m) - ema(close, 3, 15m) > 0 and sma(close, 2, 45m) > prev(close(BBB), 3 bars)
"""


@pytest.fixture(scope="module")
def demo_frames():
    return demo.generate(demo.DEMO_SYMBOLS, "2025-03-03", "2025-03-21")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_on_demo_data(path, demo_frames):
    prog = compile_strategy(check_text(path.read_text(), str(path)))
    assert assert_parity(prog, demo_frames) > 100


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_on_nasty_data(path):
    prog = compile_strategy(check_text(path.read_text(), str(path)))
    syms = prog.settings.symbols
    frames = nasty_frames(tuple(syms))
    assert assert_parity(prog, frames) > 100


@pytest.mark.parametrize("cycle", ["1m", "5m", "15m", "30m"])
def test_kitchen_sink_on_nasty_data(cycle):
    prog = program(KITCHEN_SINK, universe="AAA, BBB", header=f"cycle: {cycle}")
    frames = nasty_frames(("AAA", "BBB", "VIX"))
    assert assert_parity(prog, frames) > 10


def test_kitchen_sink_on_demo_data(demo_frames):
    prog = program(KITCHEN_SINK, universe="AAPL, BBB".replace("BBB", "MSFT"), header="cycle: 5m")
    text = KITCHEN_SINK.replace("close(BBB)", "close(MSFT)")
    prog = program(text, universe="AAPL, NVDA", header="cycle: 5m")
    assert assert_parity(prog, demo_frames) > 100
