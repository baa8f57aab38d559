"""Lowering: shared nodes, per-ticker instantiation, text/JSON forms."""

from __future__ import annotations

import json

from support.compiler_cases import program



def test_same_indicator_in_three_rules_is_one_node_per_ticker():
    prog = program("entry a: ema(close, 9, 5m) > 1\nentry b: ema(close, 9, 5m) < 1000\n"
                   "exit c: close crosses_below ema(close, 9, 5m)", universe="AAPL, MSFT, NVDA")
    g = prog.graph
    emas = [n for n in g.nodes if n.kind == "indicator" and n.op == "ema"]
    assert len(emas) == 3
    assert sorted(next(iter(n.symbols)) for n in emas) == ["AAPL", "MSFT", "NVDA"]
    assert all(n.nautilus_class == "ExponentialMovingAverage" and n.params == (9,) for n in emas)
    assert g.count("source", "close") == 3 * 2  # 5m closes for the EMA, 1m closes for the cross


def test_expressions_on_other_symbols_exist_once():
    prog = program("let v = ema(VIX, 9, 5m)\nglobal g: slope(v, 30m) < 0\nentry e: v < 30 and close > 0",
                   universe="AAPL, MSFT")
    g = prog.graph
    assert g.count("indicator", "ema") == 1
    assert g.count("window", "slope") == 1
    vix_ema = next(n for n in g.nodes if n.kind == "indicator")
    assert vix_ema.symbols == frozenset({"VIX"})
    assert len([r for r in g.rules if r.name == "e"]) == 2 and len([r for r in g.rules if r.name == "g"]) == 1


def test_lets_are_columns_shared_with_their_calls():
    prog = program("let fast = ema(close, 9, 5m)\nentry e: fast > ema(close, 9, 5m)", universe="AAPL")
    cols = {c.text: c.nodes for c in prog.graph.columns}
    assert cols["fast"] == cols["ema(close, 9, 5m)"] == {"AAPL": cols["fast"]["AAPL"]}
    assert list(cols)[0] == "fast"


def test_macd_signal_is_an_ema_of_the_shared_macd():
    prog = program("entry e: macd(close, 12, 26) crosses macd_signal(close, 12, 26, 9)", universe="AAPL")
    g = prog.graph
    assert g.count("indicator", "macd") == 1
    signal = next(n for n in g.nodes if n.kind == "indicator" and n.op == "ema")
    assert g.nodes[signal.inputs[0]].op == "macd"


def test_larger_timeframe_of_a_let_is_resampled():
    prog = program("let fast = ema(close, 9, 5m)\nentry e: ema(fast, 3, 15m) > 0", universe="AAPL")
    res = next(n for n in prog.graph.nodes if n.kind == "resample")
    assert res.tf == 900 and prog.graph.nodes[res.inputs[0]].tf == 300


def test_text_and_json_forms():
    prog = program("global g: time in RTH\nentry e: rsi(close, 14, 5m) < 30", universe="AAPL")
    text = prog.graph.to_text()
    assert "RelativeStrengthIndex(14) [rsi]" in text and "entry rule e [AAPL]" in text
    data = json.loads(prog.graph.to_json_text())
    assert data["cycle_s"] == 300
    assert {n["kind"] for n in data["nodes"]} >= {"source", "indicator", "cond", "rule"}
    assert any(n.get("nautilus") == "RelativeStrengthIndex" for n in data["nodes"])
    assert all(i < n["id"] for n in data["nodes"] for i in n["inputs"])  # topological ids


def test_lets_no_rule_uses_are_still_columns():
    prog = program("let x = ema(close, 3)\nlet v = sma(VIX, 2) * 2\nentry e: close > 0", universe="AAPL, MSFT")
    cols = {c.text: c.nodes for c in prog.graph.columns}
    assert set(cols["x"]) == {"AAPL", "MSFT"} and set(cols["v"]) == {None}
    assert "sma(VIX, 2)" in cols and list(cols)[:2] == ["x", "v"]


def test_a_long_let_chain_lowers_without_recursion():
    """Issue #13: ~200 lets each using the previous one ended in a RecursionError in lowering;
    lowering now walks lets iteratively, so a chain far longer than Python's stack works."""
    import sys

    n = 4 * sys.getrecursionlimit()
    lets = "\n".join(["let v0 = close"] + [f"let v{i} = v{i - 1} + 1" for i in range(1, n + 1)])
    prog = program(f"{lets}\nentry e: v{n} > close\nexit x: v{n} < close", universe="AAPL")
    cols = {c.text for c in prog.graph.columns}
    assert {"v0", f"v{n}"} <= cols and len(cols) >= n + 1
    prog.graph.to_text()
