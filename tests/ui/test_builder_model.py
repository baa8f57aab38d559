"""The builder's model: AST rules <-> builder specs, never changing what a user wrote."""

from __future__ import annotations

import pytest

from rbts.dsl import ast
from rbts.dsl.formatter import format_statement, format_window
from rbts.dsl.parser import parse
from rbts.ui.builder_model import (
    Condition, Curve, LetSpec, RuleSpec, Source, curve_from_node, let_spec, rule_spec, window_node,
)

HEADER = "universe: AAPL\nlet fast = ema(close, 9, 5m)\nlet slow = ema(close, 21, 5m)\n"

EDITABLE = [
    "global market_hours: time in RTH",
    "global: time in ETH",
    "global vix_calm: slope(ema(VIX, 9, 5m), 30m) < -0.25",
    "entry bull_cross: fast crosses_above slow",
    "exit: fast crosses_below slow",
    "entry: close crosses ema(close, 20) within 3 bars",
    "entry: rsi(close, 14, 15m) between 30 and 70 for 2 bars",
    "entry: slope(sma(VIX, 20), 3 bars) > 0",
    "exit: slope(close, 30m) < 0",
    "entry: close >= bb_upper(close, 20, 2.5) and time between 09:45 and 15:30",
    "entry: macd(close, 12, 26, 1h) > macd_signal(close, 12, 26, 9, 1h)",
    "entry: high(SPY) > 500 and atr(14) < 2 and vwap(5m) <= close",
    "exit: pct_change(hma(close, 20), 1h) <= -0.01",
    "entry: change(close, 5 bars) > 0.5 within 15m",
]

READ_ONLY = [
    "entry: close > 2%",
    "entry: (close + open) / 2 > fast",
    "exit: fast < slow or close < 3",
    "entry: not close > 3",
    "entry: highest(close, 1h) > slow",
    "entry: prev(close, 1 bar) > 0",
    "entry: ema(close + 1, 9) > 3",
]


def _rule(line: str) -> ast.Rule:
    return parse(HEADER + line + "\n").rules[0]


@pytest.mark.parametrize("line", EDITABLE)
def test_editable_rules_round_trip_exactly(line):
    rule = _rule(line)
    spec = rule_spec(rule)
    assert spec is not None, line
    assert spec.node() == rule
    assert format_statement(spec.node()) == format_statement(rule)


@pytest.mark.parametrize("line", READ_ONLY)
def test_rules_the_builder_cannot_show_stay_read_only(line):
    assert rule_spec(_rule(line)) is None


def test_rising_is_a_positive_slope():
    spec = rule_spec(_rule("entry: slope(ema(close, 9), 3 bars) > 0"))
    (cond,) = spec.conditions
    assert cond.op == "rising" and cond.slope_window == "3 bars"
    assert cond.left == Curve("indicator", func="ema", params=(9,))


def test_building_the_reference_vix_rule():
    vix_ema = Curve("indicator", source=Source("close", "VIX"), func="ema", params=(9,), timeframe="5m",
                    transform="slope", transform_window="30m")
    spec = RuleSpec("global", "vix_calm", (Condition("below", vix_ema, Curve("number", value=-0.25)),))
    assert format_statement(spec.node()) == "global vix_calm: slope(ema(VIX, 9, 5m), 30m) < -0.25"


def test_conditions_are_joined_with_and():
    spec = RuleSpec("entry", "", (Condition("crosses_above", Curve("let", let="fast"), Curve("let", let="slow")),
                                  Condition("time_in", right=None, session="RTH")))
    assert format_statement(spec.node()) == "entry: fast crosses_above slow and time in RTH"


def test_lets_of_curves_are_editable_and_others_not():
    strategy = parse(HEADER + "let mid = (fast + slow) / 2\n")
    specs = [let_spec(let) for let in strategy.lets]
    assert specs[0] == LetSpec("fast", Curve("indicator", func="ema", params=(9,), timeframe="5m"))
    assert specs[2] is None


@pytest.mark.parametrize("text,node", [("30m", ast.Duration(1800)), ("1h", ast.Duration(3600)),
                                       ("3 bars", ast.BarCount(3)), ("1 bar", ast.BarCount(1)),
                                       ("w", ast.ParamRef("w")), ("m5", ast.ParamRef("m5"))])
def test_windows(text, node):
    """A name is a (duration) param's use, as in the language: `within m5` uses param m5."""
    assert window_node(text) == node
    assert format_window(node) == text


@pytest.mark.parametrize("bad", ["", "0m", "3 weeks", "5 m5", "M5"])
def test_bad_windows_are_refused(bad):
    with pytest.raises(ValueError):
        window_node(bad)


def test_invalid_names_and_missing_operands_are_refused():
    with pytest.raises(ValueError):
        RuleSpec("entry", "Bad Name").node()
    with pytest.raises(ValueError):
        Condition("above", right=None).node()
    with pytest.raises(ValueError):
        Condition("time_between", right=None, start="25:00").node()


def test_negative_numbers_and_symbols():
    assert curve_from_node(parse("universe: A\nentry: close > -3\n").rules[0].cond.right) == Curve("number", value=-3)
    assert Source("high", "VIX").node() == ast.Call("high", (ast.Symbol("VIX"),))
    assert Source("close", "VIX").node() == ast.Symbol("VIX")
