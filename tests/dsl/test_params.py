"""Params (SPEC §6.1): declarations, domains, the check of every value at every use, binding."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from rbts.compiler.program import compile_strategy
from rbts.dsl import ast
from rbts.dsl.errors import RbtsError
from rbts.dsl.formatter import format_strategy
from rbts.dsl.load import load_strategy
from rbts.dsl.params import bind, with_defaults

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "vix_ema_cross_params.rbts"
EVERYWHERE = ROOT / "tests" / "corpus" / "valid" / "params_everywhere.rbts"


def load(body: str, **kw):
    return load_strategy("universe: AAPL\n" + body, filename="t.rbts", **kw)


def error_of(body: str) -> str:
    with pytest.raises(RbtsError) as info:
        load(body)
    return info.value.render() if hasattr(info.value, "render") else str(info.value)


# ----------------------------------------------------------------------------- declarations


def test_the_spec_examples_declare_these_domains():
    checked = load("param fast = 9 in 5..20\nparam thr = -0.25 in -0.5..0 step 0.05\nparam tf = 5m in [1m, 5m, 15m]\n"
                   "param sl = 2% in 1%..4% step 0.5%\nrisk: stop_loss sl\n"
                   "entry: ema(close, fast, tf) > 1 and close > thr\n")
    fast, thr, tf, sl = checked.params.values()
    assert (fast.kind, fast.default, fast.values) == ("number", 9, tuple(range(5, 21)))
    assert thr.kind == "number" and thr.default == -0.25
    assert thr.values == (-0.5, -0.45, -0.4, -0.35, -0.3, -0.25, -0.2, -0.15, -0.1, -0.05, 0.0)  # exact decimals
    assert tf.kind == "duration" and [v.text for v in tf.values] == ["1m", "5m", "15m"] and tf.default.text == "5m"
    assert sl.kind == "percent" and [v.text for v in sl.values] == ["1.0%", "1.5%", "2.0%", "2.5%", "3.0%", "3.5%",
                                                                     "4.0%"]
    assert list(checked.params) == ["fast", "thr", "tf", "sl"]  # declaration order


def test_a_domain_is_exact_where_floats_would_drift():
    values = load("param x = 0.3 in 0.1..0.9 step 0.1\nentry: close > x\n").params["x"].values
    assert values[2] == 0.3 and str(values[2]) == "0.3" and len(values) == 9


def test_an_integer_percent_range_steps_by_one_percent():
    assert [v.text for v in load("param s = 2% in 1%..3%\nrisk: stop_loss s\nentry: close > 1\n")
            .params["s"].values] == ["1%", "2%", "3%"]


@pytest.mark.parametrize("body, message, where", [
    ("param x = 0.5 in 0..1\nentry: close > x\n", "param x: the default 0.5 is not in its domain (0, 1)", "2:11"),
    ("param x = 0.5 in 0.5..1\nentry: close > x\n", "a range of decimal numbers needs a step", "2:18"),
    ("param x = 0.5 in 0..1 step 0.3\nentry: close > x\n", "0..1 is not a whole number of steps of 0.3", "2:28"),
    ("param x = 5 in 1..3\nentry: close > x\n", "the default 5 is not in its domain (1, 2, 3)", "2:11"),
    ("param x = 2 in 3..1\nentry: close > x\n", "the range 3..1 is empty", "2:16"),
    ("param x = 5m in 1m..10m\nentry: close > 1\n", "a range of durations needs a step", "2:17"),
    ("param x = 5 in [1, 5%]\nentry: close > 1\n", "5% is a percent, but the default 5 is a number", "2:20"),
    ("param x = 1 in 1..20000\nentry: close > x\n", "holds 20,000 values, more than 10,000", "2:16"),
    ("param x = 1 in 1..10 step 0\nentry: close > x\n", "the step must be above zero", "2:27"),
    ("param x = 5 in [1, 5, 5]\nentry: close > x\n", "5 is listed twice", "2:23"),
    ("param x = 1 in 1..2\nparam x = 1 in 1..2\nentry: close > x\n", "param x is declared twice (first on line 2)", "3:7"),
    ("param close = 1 in 1..2\nentry: close > 1\n", "cannot name a param 'close': it is a bar field", "2:7"),
    ("param f = 1 in 1..2\nlet f = close\nentry: f > 1\n", "param f: the name is also a let (line 3)", "2:7"),
    ("sizing: foo\nentry: close > 1\n", "unknown param 'foo' in sizing", "2:9"),
    ("param n = 3 in 1..5\nentry: close > 1 within n\n", "param n is a number, but the window of `within` needs a "
                                                         "duration", "3:25"),
    ("param n = 3 in 1..5\nrisk: stop_loss n\nentry: close > 1\n", "param n is a number, but risk stop_loss needs a "
                                                                  "percent", "3:17"),
    ("param p = 1% in [1%, 2%]\norder: limit 0.05% ttl p\nentry: close > 1\n", "the order ttl needs a duration",
     "3:24"),
    ("param tf = 5 in [5, 15]\nentry: close > ema(close, 9, tf)\n", "param tf is a number, but the timeframe of ema "
                                                                    "needs a duration", "3:30"),
    ("param tf = 5% in [5%, 15%]\nentry: vwap(tf) > 1\n", "param tf is a percent, but the timeframe of vwap "
                                                          "needs a duration", "3:13"),
])
def test_bad_declarations_and_uses_are_positioned_errors(body, message, where):
    text = error_of(body)
    assert f"t.rbts:{where}: error:" in text and message in text, text


# ----------------------------------------------------------------------------- every value at every use


@pytest.mark.parametrize("body, message, where", [
    ("param n = 5 in 0..10\nentry: close > ema(close, n, 5m)\n",
     "ema expects a whole number of at least 1 here (param n = 0)", "3:27"),
    ("param tf = 5m in [1m, 5m, 7m]\nentry: close > ema(close, 9, tf)\n",
     "timeframe 7m does not divide a day evenly (bars are aligned to midnight) (param tf = 7m)", "3:30"),
    ("param tf = 5m in [1m, 5m, 15m]\nentry: slope(ema(close, 9, tf), 10m) > 0\n",
     "window 10m is not a multiple of 15m, the timeframe of ema(...) (with param tf = 15m)", "3:33"),
    ("param w = 10m in [5m, 10m, 12m]\nentry: slope(ema(close, 9, 5m), w) > 0\n",
     "window 12m is not a multiple of 5m, the timeframe of ema(...) (param w = 12m)", "3:33"),
    ("param w = 10m in [5m, 10m]\ncycle: 10m\nentry: close > 1 within w\n",
     "`within` window 5m is not a multiple of the cycle 10m (param w = 5m)", "4:25"),
    ("param d = 1 in -1..1\nentry: close / d > 1\n", "division by zero (param d = 0)", "3:16"),
    ("param f = 12 in 5..30\nentry: macd(close, f, 26) > 0\n",
     "macd: the slow period (26) must be larger than the fast one (30) (param f = 30)", "3:23"),
    ("param sl = 2% in [2%, 100%]\nrisk: stop_loss sl\nentry: close > 1\n",
     "stop_loss must be above 0% and below 100% (param sl = 100%)", "3:17"),
    ("param s = 50% in [50%, 120%]\nsizing: s\nentry: close > 1\n",
     "sizing percent must be above 0% and at most 100% (param s = 120%)", "3:9"),
    ("param tf = 5m in [1m, 5m]\nentry: close > tf\n", "a window cannot be compared (>) (param tf = 5m)", "3:16"),
    ("param t = 2m in [2m, 90s]\norder: limit 0.05% ttl t\nentry: close > 1\n",
     "ttl 90s is not a multiple of the bar size 1m (param t = 90s)", "3:24"),
])
def test_every_value_of_a_domain_is_checked_at_every_use(body, message, where):
    text = error_of(body)
    assert f"t.rbts:{where}: error: {message}" in text, text


def test_a_valid_strategy_has_no_variant_that_fails_to_compile():
    checked = load_strategy(EVERYWHERE)
    rng = random.Random(7)
    variants = [{n: d.values[0] for n, d in checked.params.items()}, {n: d.values[-1] for n, d in checked.params.items()}]
    variants += [{n: rng.choice(d.values) for n, d in checked.params.items()} for _ in range(40)]
    for values in variants:  # every domain's ends, and random combinations
        assert compile_strategy(bind(checked, values)).graph.nodes


def test_an_unused_param_is_a_warning():
    checked = load("param n = 3 in 1..5\nentry: close > 1\nexit: close < 1\n")
    assert [w.message for w in checked.warnings] == ["param n is declared but never used"]


# ----------------------------------------------------------------------------- bind and overrides


def test_bind_equals_editing_the_default():
    text = EXAMPLE.read_text()
    bound = bind(load_strategy(text), {"fast": 13, "tf": "15m", "vix_drop": "-0.5"})
    edited = load_strategy(text.replace("param fast = 9 ", "param fast = 13 ").replace("param tf = 5m ", "param tf = 15m ")
                           .replace("param vix_drop = -0.25 ", "param vix_drop = -0.5 "))
    assert bound.strategy == edited.strategy
    assert bound.json_form() == edited.json_form()
    assert bound.settings == edited.settings
    assert format_strategy(bound.program) == format_strategy(edited.program)
    assert {n: d.default for n, d in bound.params.items()} == {n: d.default for n, d in edited.params.items()}


def test_bind_does_not_parse_again(monkeypatch):
    checked = load_strategy(EXAMPLE)
    import rbts.dsl.parser as parser

    monkeypatch.setattr(parser, "parse", lambda *a, **k: pytest.fail("bind parsed the text again"))
    assert bind(checked, {"fast": 5}).params["fast"].default == 5
    assert checked.params["fast"].default == 9  # the original is unchanged


def test_the_compiler_sees_bound_values_only():
    checked = load_strategy(EXAMPLE, overrides={"fast": "13", "tf": "15m"})
    assert not any(isinstance(n, ast.ParamRef) for r in checked.rules for n in r.cond.walk())
    texts = {c.text for c in compile_strategy(checked).graph.columns}
    assert "ema(close, 13, 15m)" in texts and "ema(close, 21, 15m)" in texts


@pytest.mark.parametrize("overrides, message", [
    ({"fast": "30"}, "param fast: 30 is outside its domain [5, 9, 13]"),
    ({"nope": "1"}, "unknown param nope (the strategy declares: fast, slow, tf, vix_drop)"),
    ({"tf": "2m"}, "param tf: 2m is outside its domain [5m, 15m]"),
    ({"tf": "5"}, "param tf takes a duration such as 5m, got '5' (its domain: [5m, 15m])"),
    ({"fast": "abc"}, "param fast takes a number such as 12 or -0.25, got 'abc'"),
    ({"vix_drop": "-0.3"}, "param vix_drop: -0.3 is outside its domain -0.5..0 step 0.25"),
])
def test_overrides_outside_the_domain_or_unknown_are_errors_naming_the_param(overrides, message):
    with pytest.raises(RbtsError) as info:
        load_strategy(EXAMPLE, overrides=overrides)
    assert message in str(info.value)


def test_overrides_accept_any_spelling_of_a_domain_value():
    checked = load_strategy(EXAMPLE, overrides={"vix_drop": "-0.50", "fast": "13.0", "slow": 34})
    assert checked.params["vix_drop"].default == -0.5 and checked.params["fast"].default == 13
    assert checked.params["slow"].default == 34
    assert load_strategy(EXAMPLE, overrides={"fast": "13"}).json_form() == checked.json_form() | {
        "params": load_strategy(EXAMPLE, overrides={"fast": "13"}).json_form()["params"]}


@pytest.mark.parametrize("name, given, message", [
    # each was exit 70 (decimal.Overflow / InvalidOperation, int() of 5,000 digits) or bound a value
    # the user did not write (rounded to 28 digits, underflowed to 0, read ٩ as 9) -- CLI fuzzer
    ("fast", "1e999999999", "param fast: 1e999999999 is outside its domain [5, 9, 13]"),
    ("fast", "1e-99999999999999999999", "param fast: 1e-99999999999999999999 is outside its domain"),
    ("tf", "9" * 5000 + "m", "param tf: 99999"),
    ("vix_drop", "1e-999999999999", "param vix_drop: 1e-999999999999 is outside its domain -0.5..0 step 0.25"),
    ("vix_drop", "-0.25000000000000000000000000001", "param vix_drop: -0.25000000000000000000000000001 is outside"),
    ("fast", "٩", "param fast takes a number such as 12 or -0.25, got '٩'"),
    ("tf", "٥m", "param tf takes a duration such as 5m, got '٥m'"),
])
def test_set_values_are_read_exactly_and_with_ascii_digits(name, given, message):
    with pytest.raises(RbtsError) as info:
        load_strategy(EXAMPLE, overrides={name: given})
    assert message in str(info.value)
    if not given.isascii():
        assert info.value.diagnostics[0].hint == "numbers are written with the digits 0-9"


def test_list_values_that_differ_past_28_digits_are_two_values():
    big = 10**39
    checked = load(f"param big = {big} in [{big}, {big + 1}]\nentry: close > big\n")  # was "listed twice"
    assert checked.params["big"].values == (big, big + 1)
    assert bind(checked, {"big": str(big + 1)}).params["big"].default == big + 1


def test_percent_params_bind_by_text_or_value():
    checked = load_strategy(EVERYWHERE)
    assert bind(checked, {"stop": "3%"}).settings.stop_loss == 0.03
    assert bind(checked, {"stop": checked.params["stop"].values[0]}).settings.stop_loss == 0.01
    assert bind(checked, {"size": "30%"}).settings.sizing_value == 0.3


def test_with_defaults_rewrites_only_the_defaults():
    text = EXAMPLE.read_text()
    out = with_defaults(text, {"fast": 13, "tf": "15m"})
    assert out == text.replace("param fast = 9 in", "param fast = 13 in").replace("param tf = 5m in", "param tf = 15m in")
    assert load_strategy(out).json_form() == bind(load_strategy(text), {"fast": 13, "tf": "15m"}).json_form()
    negative = with_defaults(text, {"vix_drop": -0.5})
    assert "param vix_drop = -0.5 in -0.5..0 step 0.25" in negative


def test_with_defaults_of_a_json_form_writes_the_json_form_again():
    data = load_strategy(EXAMPLE).json_form()
    import json

    out = json.loads(with_defaults(json.dumps(data), {"slow": "34"}))
    assert out["params"][1]["default"] == 34 and out["body"] == data["body"]


def test_params_go_after_the_settings_and_before_the_lets():
    text = "let a = close\nparam n = 3 in 1..5\nuniverse: AAPL\nentry: a > ema(close, n)\nexit: a < 1\n"
    assert format_strategy(load_strategy(text).strategy) == (
        "universe: AAPL\nparam n = 3 in 1..5\n\nlet a = close\n\nentry: a > ema(close, n)\nexit: a < 1\n")


def test_the_json_form_carries_the_params_and_reads_back():
    checked = load_strategy(EVERYWHERE)
    data = checked.json_form()
    assert data["setting_params"] == {"sizing": "size", "order.offset": "offset", "order.ttl": "ttl_time",
                                      "risk.max_daily_loss": "daily", "risk.stop_loss": "stop",
                                      "risk.take_profit": "target", "risk.trailing_stop": "trail"}
    assert data["settings"]["sizing"] == {"kind": "percent", "value": 20}  # the value in force
    assert data["params"][2] == {"name": "ttl_time", "kind": "duration", "default": "10m", "low": "5m",
                                 "high": "15m", "step": "5m"}
    back = load_strategy(data)
    assert back.strategy == checked.strategy and back.params == checked.params


def test_a_json_form_cannot_declare_a_param_twice():
    import json

    data = load_strategy(EXAMPLE).json_form()
    data["params"].append(dict(data["params"][0]))
    with pytest.raises(RbtsError, match="param fast is declared twice") as info:
        load_strategy(json.dumps(data, indent=1), filename="x.json")
    assert info.value.diagnostics[0].span is not None


def test_extreme_ranges_are_errors_not_crashes():
    assert "more values than that, more than 10,000" in error_of("param x = 1e-300 in 1e-300..1e300 step 1e-300\n"
                                                                 "entry: close > x\n")
    assert load("param x = 1e300 in 1e300..1e300 step 1e-300\nentry: close > x\n").params["x"].values == (1e300,)


def test_a_param_list_may_continue_over_lines_and_keeps_its_comments():
    from rbts.dsl.formatter import format_source

    text = "universe: AAPL\nparam n = 9 in [5,  # short\n  9, 13]\nentry: close > ema(close, n)\nexit: close < 1\n"
    out = format_source(text)
    assert "param n = 9 in [5, 9, 13]  # short" in out and load_strategy(out).params["n"].values == (5, 9, 13)


def test_a_name_counting_bars_gets_a_hint_to_use_a_duration_param():
    text = error_of("param k = 3 in 1..5\nentry: close > 1 within k bars\n")
    assert "t.rbts:3:27: error: unexpected 'bars'" in text and "use a duration param" in text
