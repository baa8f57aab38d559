"""The builder's Parameters section and rule inputs that use a param (no Streamlit)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rbts.dsl import ast
from rbts.dsl.checker import check_text
from rbts.dsl.formatter import format_param, format_statement
from rbts.dsl.parser import parse
from rbts.ui.builder_model import Condition, Curve, RuleSpec, rule_spec
from rbts.ui.params_model import (
    ParamForm, add_param, of_kind, param_form, param_kinds, param_node, used_params, with_param, without_param,
)
from rbts.ui.settings_model import SettingsSpec, apply_spec, check_param_kinds, spec_from_strategy
from rbts.ui.text_edits import replace_settings

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
    assert used_params(strategy) == {"fast", "tf"} and of_kind(param_kinds(strategy), "number") == ("fast",)
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


KINDS = """universe: AAPL
param n = 12 in [9, 12]
param level = 70 in [60, 70]
param tf = 15m in [5m, 15m]
param w = 30m in [30m, 1h]
param move = 1% in [0.5%, 1%]
"""


@pytest.mark.parametrize("line", [
    "entry: close > open within w",
    "exit: close < level for w",
    "entry: ema(close, n, tf) crosses_above sma(close, 20, tf)",
    "entry: vwap(tf) > close",
    "entry: pct_change(close, w) < move",
    "entry: slope(ema(VIX, n, 5m), w) < 0",
    "entry: slope(ema(VIX, 9, tf), w) > -0.25 and rsi(close, n, tf) between level and 80 within w",
    "entry: atr(n, tf) > move",
])
def test_rules_with_duration_and_percent_params_open_in_the_builder_unchanged(line):
    rule = parse(f"{KINDS}{line}\n").body[0]
    spec = rule_spec(rule)
    assert spec is not None and spec.node() == rule
    assert format_statement(spec.node()) == line
    check_text(f"{KINDS}{line}\n")  # and each is a valid strategy


def test_a_timeframe_window_or_value_may_name_a_param_of_its_kind():
    cond = Condition("below", left=Curve("indicator", func="ema", params=("n",), timeframe="tf", transform="change",
                                         transform_window="w"),
                     right=Curve("number", value="move"), temporal="within", window="w")
    rising = Condition("rising", left=Curve("indicator", func="atr", params=(14,), timeframe="tf"), right=None,
                       slope_window="w")
    line = format_statement(RuleSpec("entry", "", (cond, rising)).node())
    assert line == "entry: change(ema(close, n, tf), w) < move within w and slope(atr(14, tf), w) > 0"
    check_text(f"{KINDS}{line}\n")


def test_the_form_writes_each_kind_and_reads_it_back():
    percent = ParamForm("stop", "percent", "2", "range", "1", "3%", "0.5")
    assert format_param(percent.node()) == "param stop = 2% in 1%..3% step 0.5%"
    duration = ParamForm("tf", "duration", "5m", "list", values="1m, 5m, 15m")
    assert format_param(duration.node()) == "param tf = 5m in [1m, 5m, 15m]"
    number = ParamForm("thr", "number", "-0.25", "range", "-0.5", "0", "0.05")
    assert format_param(number.node()) == "param thr = -0.25 in -0.5..0 step 0.05"
    for form in (percent, duration, number):
        assert param_form(form.node()) == replace(form, high=form.high.removesuffix("%"))


@pytest.mark.parametrize("form, message", [
    (ParamForm("tf", "duration", "5", "list", values="5m, 15m"), "5m is a duration, but the default 5 is a number"),
    (ParamForm("tf", "number", "5m", "list", values="5m, 15m"), "5m is a duration, not a number"),
    (ParamForm("tf", "duration", "5m", "range", "5m", "30m"), "a range of durations needs a step"),
    (ParamForm("sl", "percent", "5", "range", "1", "4"), "the default 5% is not in its domain"),
    (ParamForm("sl", "percent", "2", "range", "1", ""), "give a default and the values"),
    (ParamForm("sl", "percent", "2", "list", values=""), "give a default and the values"),
])
def test_a_bad_form_is_refused_with_the_language_s_words(form, message):
    with pytest.raises(ValueError, match=message):
        form.node()


def test_adding_a_name_that_exists_is_refused_changing_it_is_not():
    strategy = parse(TEXT)
    with pytest.raises(ValueError, match="param fast exists already"):
        add_param(TEXT, strategy, param_node("fast", "13", "[5, 9, 13]"))
    tf = ParamForm("tf", "duration", "15m", "range", "5m", "1h", "5m").node()
    assert "param tf = 15m in 5m..1h step 5m\n" in with_param(TEXT, strategy, tf)


SETTINGS = KINDS + """param size = 20% in [10%, 20%]
param usd = 1000 in [1000, 2000]
param ttl_time = 10m in [5m, 10m]
sizing: size
order: limit move ttl ttl_time
risk: stop_loss move  # a comment
risk: take_profit 5%
entry: ema(close, n, tf) > level
"""


def test_settings_read_and_write_params_of_their_kind():
    strategy = parse(SETTINGS)
    spec = spec_from_strategy(strategy)
    assert (spec.sizing, spec.sizing_value, spec.limit_offset, spec.ttl) == ("percent", "size", "move", "ttl_time")
    assert spec.risks == {"stop_loss": "move", "take_profit": 5.0}
    assert apply_spec(strategy, spec) is strategy  # nothing changed, nothing rewritten
    new = replace(spec, sizing="fixed", sizing_value="usd", limit_offset=0.1, ttl="tf",
                  risks={"stop_loss": 2.0, "take_profit": "move", "max_daily_loss": "move"})
    text = replace_settings(SETTINGS, strategy, apply_spec(strategy, new))
    assert "sizing: usd\n" in text and "order: limit 0.1% ttl tf\n" in text
    assert "risk: stop_loss 2%  # a comment\n" in text and "risk: take_profit move\n" in text
    assert "risk: max_daily_loss move\n" in text
    checked = check_text(text)
    assert spec_from_strategy(checked.strategy) == replace(new, risks={"max_daily_loss": "move", "stop_loss": 2.0,
                                                                       "take_profit": "move"})


def test_a_sizing_param_of_the_other_kind_is_refused():
    kinds = param_kinds(parse(SETTINGS))
    check_param_kinds(SettingsSpec(sizing="percent", sizing_value="size"), kinds)
    check_param_kinds(SettingsSpec(sizing="equal", sizing_value="usd"), kinds)
    with pytest.raises(ValueError, match="sizing '% of equity' takes a percent param; usd is a number"):
        check_param_kinds(SettingsSpec(sizing="percent", sizing_value="usd"), kinds)
    with pytest.raises(ValueError, match="sizing 'fixed USD' takes a number param; size is a percent"):
        check_param_kinds(SettingsSpec(sizing="fixed", sizing_value="size"), kinds)


def test_a_numeric_input_may_name_a_param():
    cond = Condition("above", left=Curve("indicator", func="rsi", params=("n",)), right=Curve("number", value="level"))
    assert format_statement(RuleSpec("entry", "", (cond,)).node()) == "entry: rsi(close, n) > level"
    assert isinstance(Curve("number", value=3).node(), ast.Number)
