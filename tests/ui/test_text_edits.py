"""Builder edits land in the text canonically, and the user's comments survive."""

from __future__ import annotations

from dataclasses import replace

from rbts.dsl.parser import parse
from rbts.ui.builder_model import Condition, Curve, LetSpec, RuleSpec
from rbts.ui.settings_model import SettingsSpec, apply_spec, spec_from_strategy
from rbts.ui.text_edits import delete_statement, insert_statement, replace_settings, replace_statement

TEXT = """# header comment

strategy "x"
universe: AAPL, MSFT   # the tickers
capital: 5000

let f = ema(close, 9)   # fast one

# why this rule
entry a: f crosses_above (close +
  1)  # multi-line
exit b: f < 3
"""


def test_replace_a_rule_keeps_comments():
    s = parse(TEXT)
    new = RuleSpec("entry", "a", (Condition("above", Curve("let", let="f"), Curve("number", value=5)),)).node()
    out = replace_statement(TEXT, s, 1, new)
    assert "entry a: f > 5  # multi-line" in out
    assert "# header comment" in out and "# why this rule" in out and "# fast one" in out
    assert parse(out).rules[0] == new


def test_insert_let_and_rule_then_delete():
    s = parse(TEXT)
    out = insert_statement(TEXT, s, LetSpec("g", Curve("indicator", func="sma", params=(20,))).node())
    lines = out.splitlines()
    assert lines.index("let g = sma(close, 20)") == lines.index("let f = ema(close, 9)   # fast one") + 1
    s2 = parse(out)
    out2 = insert_statement(out, s2, RuleSpec("exit", "c", (Condition("time_in", right=None),)).node())
    assert out2.rstrip().endswith("exit c: time in RTH")
    s3 = parse(out2)
    out3 = delete_statement(out2, s3, 2)  # rule a
    assert "entry a" not in out3 and "exit b: f < 3" in out3 and "exit c" in out3


def test_settings_change_only_what_changed():
    s = parse(TEXT)
    spec = spec_from_strategy(s)
    assert spec.universe == ("AAPL", "MSFT") and spec.capital == 5000
    new = apply_spec(s, replace(spec, universe=("AAPL",), cycle="5m", risks={"stop_loss": 2.0}))
    out = replace_settings(TEXT, s, new)
    assert "universe: AAPL  # the tickers" in out
    assert "cycle: 5m" in out and "risk: stop_loss 2%" in out and "capital: 5000" in out
    assert out.startswith("# header comment\n\n")
    assert parse(out).body == s.body


def test_defaults_are_not_written_and_can_be_removed():
    text = "universe: AAPL\ncycle: 5m\nentry: close > 1\n"
    s = parse(text)
    unchanged = apply_spec(s, SettingsSpec(universe=("AAPL",), cycle="5m"))
    assert unchanged is s  # capital left at its default: no capital line appears
    out = replace_settings(text, s, apply_spec(s, SettingsSpec(universe=("AAPL",))))
    assert out == "universe: AAPL\n\nentry: close > 1\n"  # "auto" cycle: the line goes


def test_order_settings():
    text = "universe: AAPL\nentry: close > 1\n"
    s = parse(text)
    spec = replace(spec_from_strategy(s), order="limit", limit_offset=0.1, ttl="2 cycles")
    assert "order: limit 0.1% ttl 2 cycles" in replace_settings(text, s, apply_spec(s, spec))
    spec = replace(spec_from_strategy(s), order="market", sizing="percent", sizing_value=25)
    out = replace_settings(text, s, apply_spec(s, spec))
    assert "order: market" in out and "sizing: 25%" in out
