"""Property: for random strategies on awkward data, both evaluators agree on every cycle."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support.compiler_cases import assert_parity, nasty_frames

from rbts.compiler.program import compile_strategy
from rbts.dsl.checker import check_text
from rbts.dsl.errors import RbtsError

FRAMES = {s: f.loc["2024-03-08":"2024-03-12"] for s, f in nasty_frames(("AAA", "BBB", "VIX")).items()}
TFS = ["", ", 5m", ", 15m", ", 1h"]


@st.composite
def series(draw, depth=0):
    leaves = ["close", "high", "low", "volume / 1000", "VIX", "close(BBB)", "open(BBB)"]
    if depth >= 2:
        return draw(st.sampled_from(leaves))
    kind = draw(st.sampled_from(["leaf", "ma", "window", "prev", "arith", "bar_ind", "band"]))
    inner = lambda: draw(series(depth + 1))  # noqa: E731
    n = draw(st.integers(2, 6))
    tf = draw(st.sampled_from(TFS))
    if kind == "leaf":
        return draw(st.sampled_from(leaves))
    if kind == "ma":
        return f"{draw(st.sampled_from(['ema', 'sma', 'wma', 'hma', 'dema', 'rsi']))}({inner()}, {n}{tf})"
    if kind == "window":
        func = draw(st.sampled_from(["change", "pct_change", "slope", "highest", "lowest"]))
        return f"{func}({inner()}, {draw(st.sampled_from(['2 bars', '5m', '15m', '1h']))})"
    if kind == "prev":
        return f"prev({inner()}, {n})"
    if kind == "arith":
        return f"({inner()} {draw(st.sampled_from(['+', '-', '*', '/']))} {inner()})"
    if kind == "bar_ind":
        return draw(st.sampled_from([f"atr({n}{tf})", f"vwap({tf[2:]})", f"macd({inner()}, 3, 7{tf})",
                                     f"macd_signal({inner()}, 3, 7, 3{tf})"]))
    return f"{draw(st.sampled_from(['bb_upper', 'bb_middle', 'bb_lower']))}({inner()}, {n}, 1.5{tf})"


@st.composite
def condition(draw, depth=0):
    kinds = ["compare", "cross", "between", "time"] + (["temporal", "logic", "not"] if depth < 2 else [])
    kind = draw(st.sampled_from(kinds))
    s = lambda: draw(series())  # noqa: E731
    if kind == "compare":
        return f"{s()} {draw(st.sampled_from(['<', '<=', '>', '>=']))} {s()}"
    if kind == "cross":
        return f"{s()} {draw(st.sampled_from(['crosses_above', 'crosses_below', 'crosses']))} {s()}"
    if kind == "between":
        return f"{s()} between {s()} and {s()}"
    if kind == "time":
        return draw(st.sampled_from(["time in RTH", "time in ETH", "time between 10:00 and 15:00",
                                     "time between 19:00 and 05:00"]))
    inner = draw(condition(depth + 1))
    if kind == "temporal":
        return f"({inner}) {draw(st.sampled_from(['within', 'for']))} {draw(st.integers(1, 4))} bars"
    if kind == "not":
        return f"not ({inner})"
    return f"({inner}) {draw(st.sampled_from(['and', 'or']))} ({draw(condition(depth + 1))})"


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.lists(condition(), min_size=1, max_size=3), st.sampled_from(["1m", "5m", "15m"]))
def test_random_strategies_agree(conds, cycle):
    body = "\n".join(f"entry r{i}: {c}" for i, c in enumerate(conds))
    text = f"universe: AAA, BBB\ncycle: {cycle}\n{body}\n"
    try:
        prog = compile_strategy(check_text(text))
    except RbtsError:
        assume(False)
    assert_parity(prog, FRAMES)
