"""Vectorised and incremental evaluators agree on every cycle (states exactly, values to 1e-9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.compiler_cases import KITCHEN_SINK, assert_parity, nasty_frames, program

from rbts.compiler.program import compile_strategy
from rbts.dsl.checker import check_text
from rbts.runtime.data import demo

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.rbts"))



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
    text = KITCHEN_SINK.replace("close(BBB)", "close(MSFT)")
    prog = program(text, universe="AAPL, NVDA", header="cycle: 5m")
    assert assert_parity(prog, demo_frames) > 100


@pytest.mark.slow
def test_reference_strategy_full_demo_year(demo_home):
    """The reference strategy on the whole 2025 demo year from the catalog: every cycle agrees."""
    from rbts.runtime.data.catalog import BarStore
    from rbts.runtime.settings import load_settings

    prog = compile_strategy(check_text(EXAMPLES[[p.stem for p in EXAMPLES].index("vix_ema_cross")].read_text()))
    frames = BarStore(load_settings(demo_home)).load_frames(prog.settings.symbols)
    assert assert_parity(prog, frames) > 19_000
