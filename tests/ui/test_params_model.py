"""The builder's Parameters section and rule inputs that use a param (no Streamlit)."""

from __future__ import annotations

import pytest

from rbts.dsl import ast
from rbts.dsl.checker import check_text
from rbts.dsl.formatter import format_statement
from rbts.dsl.parser import parse
from rbts.ui.builder_model import Condition, Curve, RuleSpec, rule_spec
from rbts.ui.params_model import number_params, param_node, used_params, with_param, without_param

TEXT = """universe: AAPL  # the tickers
cycle: 5m
param fast = 9 in [5, 9, 13]  # bars of the fast EMA
param tf = 5m in [5m, 15m]

let fast_ema = ema(close, fast, tf)
entry: fast_ema > sma(close, 20)
exit: close < open
"""


def test_a_param_from_the_form_is_read_by_the_language():
    param = param_node(" level ", "70", "60..80 step 5")
    assert (param.name, param.kind) == ("level", "number")
    assert param_node("stop", "2%", "1%..3% step 0.5%").kind == "percent"
    assert param_node("tf", "15m", "[5m, 15m]").kind == "duration"


@pytest.mark.parametrize("name, default, domain, message", [
    ("Fast", "9", "[5, 9]", "use lower-case letters"),
    ("fast", "", "[5, 9]", "give a default and the values"),
    ("fast", "30", "[5, 9, 13]", "the default 30 is not in its domain"),
    ("fast", "1", "5..1", "is empty"),
    ("fast", "9", "5..", "`param fast = 9 in 5..`"),
])
def test_a_bad_param_is_refused_with_the_language_s_words(name, default, domain, message):
    with pytest.raises(ValueError, match=message.replace("(", "\\(")):
        param_node(name, default, domain)


def test_adding_and_changing_a_param_keeps_the_rest_of_the_text():
    strategy = parse(TEXT)
    added = with_param(TEXT, strategy, param_node("level", "70", "[60, 70]"))
    assert "param tf = 5m in [5m, 15m]\nparam level = 70 in [60, 70]\n" in added
    check_text(added)
    changed = with_param(added, parse(added), param_node("fast", "13", "[5, 9, 13]"))
    assert "param fast = 13 in [5, 9, 13]  # bars of the fast EMA\n" in changed  # in place, comment kept
    assert changed.replace("param fast = 13", "param fast = 9") == added


def test_a_used_param_cannot_be_deleted_an_unused_one_can():
    strategy = parse(TEXT)
    assert used_params(strategy) == {"fast", "tf"} and number_params(strategy) == ("fast",)
    with pytest.raises(ValueError, match="param fast is used"):
        without_param(TEXT, strategy, "fast")
    added = with_param(TEXT, strategy, param_node("level", "70", "[60, 70]"))
    assert without_param(added, parse(added), "level") == added.replace("param level = 70 in [60, 70]\n", "")


@pytest.mark.parametrize("line", [
    "entry: rsi(close, n) > level",
    "entry: ema(close, n, 5m) crosses_above sma(close, 20)",
    "exit: close < level for 3 bars",
    "entry: macd(close, n, 26) between level and 80",
])
def test_rules_using_params_open_in_the_builder_unchanged(line):
    text = f"universe: AAPL\nparam n = 12 in [9, 12]\nparam level = 70 in [60, 70]\n{line}\n"
    rule = parse(text).body[0]
    spec = rule_spec(rule)
    assert spec is not None and spec.node() == rule
    assert format_statement(spec.node()) == line


def test_rules_the_builder_cannot_show_with_params_stay_read_only():
    text = "universe: AAPL\nparam w = 5m in [5m, 15m]\nentry: close > open within w\n"
    assert rule_spec(parse(text).body[0]) is None  # a window given by a param: edit in the code


def test_a_numeric_input_may_name_a_param():
    cond = Condition("above", left=Curve("indicator", func="rsi", params=("n",)), right=Curve("number", value="level"))
    assert format_statement(RuleSpec("entry", "", (cond,)).node()) == "entry: rsi(close, n) > level"
    assert isinstance(Curve("number", value=3).node(), ast.Number)
