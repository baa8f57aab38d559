"""One small test per construct: text -> AST."""

from __future__ import annotations

import pytest

from rbts.dsl import ast
from rbts.dsl.errors import RbtsError
from rbts.dsl.parser import parse, parse_partial

A = ast


def cond(text: str) -> ast.Node:
    return parse(f"universe: AAPL\nentry: {text}\n").rules[0].cond


def expr(text: str) -> ast.Node:
    return cond(f"{text} > 0").left


def test_reference_settings() -> None:
    s = parse(
        'strategy "S"\nuniverse: AAPL, "BRK B", BRK.B\ncapital: 5000\ncycle: 5m\nbars: 1m\n'
        "sizing: 25%\norder: limit 0.1% ttl 2 cycles\nrisk: stop_loss 3%\nrisk: max_daily_loss 2%\nfees: 0.01%\n"
    )
    assert s.name == "S"
    assert [x.name for x in s.universe] == ["AAPL", "BRK B", "BRK.B"]
    assert s.capital == A.Number(5000) and s.cycle == A.Duration(300) and s.bars == A.Duration(60)
    assert s.sizing == A.Sizing("percent", 25)
    assert s.order == A.Order("limit", A.Percent(0.1), A.BarCount(2))
    assert [r.kind for r in s.risks] == ["max_daily_loss", "stop_loss"]  # table order
    assert s.fees == A.Percent(0.01)


@pytest.mark.parametrize(
    "text, node",
    [
        ("a crosses_above b", A.Cross("above", A.Name("a"), A.Name("b"))),
        ("a crosses above b", A.Cross("above", A.Name("a"), A.Name("b"))),
        ("a crosses below b", A.Cross("below", A.Name("a"), A.Name("b"))),
        ("a crosses b", A.Cross("any", A.Name("a"), A.Name("b"))),
        ("a between 1 and 2", A.Between(A.Name("a"), A.Number(1), A.Number(2))),
        ("time in RTH", A.TimeIn("RTH")),
        ("time between 20:00 and 04:00", A.TimeBetween(1200, 240)),
        ("a > 1 within 3 bars", A.Within(A.Compare(">", A.Name("a"), A.Number(1)), A.BarCount(3))),
        ("a > 1 for 15m", A.For(A.Compare(">", A.Name("a"), A.Number(1)), A.Duration(900))),
        ("not a > 1", A.Not(A.Compare(">", A.Name("a"), A.Number(1)))),
    ],
)
def test_conditions(text: str, node: ast.Node) -> None:
    assert cond(text) == node


def test_precedence_or_and_not() -> None:
    c = cond("a > 1 or b > 1 and not c > 1")
    assert isinstance(c, A.Or) and isinstance(c.right, A.And) and isinstance(c.right.right, A.Not)


def test_precedence_arithmetic() -> None:
    assert expr("1 + 2 * -x") == A.BinOp("+", A.Number(1), A.BinOp("*", A.Number(2), A.Neg(A.Name("x"))))
    assert expr("(1 + 2) * x") == A.BinOp("*", A.BinOp("+", A.Number(1), A.Number(2)), A.Name("x"))


def test_literals() -> None:
    assert expr("2%") == A.Percent(2)
    assert expr("0.25") == A.Number(0.25)
    assert expr("VIX") == A.Symbol("VIX")
    assert expr('"BRK B"') == A.Symbol("BRK B")
    assert expr("slope(ema(VIX, 9, 5m), 30m)") == A.Call(
        "slope", (A.Call("ema", (A.Symbol("VIX"), A.Number(9), A.Duration(300))), A.Duration(1800))
    )
    assert expr("prev(close, 3 bars)") == A.Call("prev", (A.Name("close"), A.BarCount(3)))


def test_line_continues_inside_parentheses_and_comments_ignored() -> None:
    s = parse("universe: AAPL  # trade\nentry go: (close >\n   open)   # note\n\n# end\n")
    assert s.rules[0] == A.Rule("entry", "go", A.Compare(">", A.Name("close"), A.Name("open")))


def test_spans_kept_but_not_compared() -> None:
    a = cond("close > 1")
    b = cond("close   >   1")
    assert a == b and a.span != b.span
    assert (a.span.line, a.span.col) == (2, 8)


def test_every_syntax_error_is_reported() -> None:
    _, diags = parse_partial("universe: AAPL\nentry: close >\nexit: (\nentry: ok > 1\n")
    assert [d.span.line for d in diags] == [2, 3]
    with pytest.raises(RbtsError) as info:
        parse("entry: a < b < c")
    assert "comparisons do not chain" in info.value.render()


def test_redundant_parentheses_are_fine() -> None:
    assert cond("(" * 500 + "close" + ")" * 500 + " > 1") == cond("close > 1")


@pytest.mark.parametrize("depth", [300, 5000])
def test_deep_nesting_is_an_error_not_a_crash(depth: int) -> None:
    with pytest.raises(RbtsError) as info:
        parse("universe: AAPL\nentry: " + "not " * depth + "close > 1\n")
    assert info.value.diagnostics[0].span is not None
