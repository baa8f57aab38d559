"""The canonical formatter: expression text, settings order, parentheses, comments."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rbts.dsl import ast as A
from rbts.dsl.formatter import format_expr, format_number, format_source, format_strategy, format_symbol
from rbts.dsl.parser import parse

N, S = A.Name, A.Symbol


def num(v):
    return A.Number(v)


def cmp(op, left, right):
    return A.Compare(op, left, right)


@pytest.mark.parametrize(
    "node, text",
    [
        (A.Call("ema", (N("close"), num(9), A.Duration(300))), "ema(close, 9, 5m)"),
        (A.Call("vwap", ()), "vwap()"),
        (A.Call("prev", (N("close"), A.BarCount(1))), "prev(close, 1 bar)"),
        (A.Call("prev", (N("close"), A.BarCount(3))), "prev(close, 3 bars)"),
        (A.Call("slope", (A.Call("ema", (S("VIX"), num(9), A.Duration(300))), A.Duration(1800))),
         "slope(ema(VIX, 9, 5m), 30m)"),
        (A.Call("close", (S("BRK B"),)), 'close("BRK B")'),
        (A.Duration(3600), "1h"), (A.Duration(90), "90s"), (A.Duration(86400 * 2), "2d"),
        (A.Percent(2), "2%"), (A.Percent(0.05), "0.05%"),
        (A.Neg(num(0.25)), "-0.25"),
        (A.Neg(A.Neg(N("x"))), "--x"),
        (A.Neg(A.BinOp("+", N("a"), N("b"))), "-(a + b)"),
        (A.BinOp("-", N("a"), A.BinOp("-", N("b"), N("c"))), "a - (b - c)"),
        (A.BinOp("-", A.BinOp("-", N("a"), N("b")), N("c")), "a - b - c"),
        (A.BinOp("*", A.BinOp("+", N("a"), N("b")), N("c")), "(a + b) * c"),
        (A.BinOp("+", N("a"), A.BinOp("*", N("b"), N("c"))), "a + b * c"),
        (A.BinOp("/", N("a"), A.BinOp("/", N("b"), N("c"))), "a / (b / c)"),
        (A.BinOp("-", N("a"), A.Neg(N("b"))), "a - -b"),
        (A.Or(N("a"), A.Or(N("b"), N("c"))), "a or (b or c)"),
        (A.Or(A.Or(N("a"), N("b")), N("c")), "a or b or c"),
        (A.And(A.Or(N("a"), N("b")), N("c")), "(a or b) and c"),
        (A.Or(A.And(N("a"), N("b")), N("c")), "a and b or c"),
        (A.Not(A.And(N("a"), N("b"))), "not (a and b)"),
        (A.Not(A.Not(N("a"))), "not not a"),
        (A.And(A.Not(N("a")), N("b")), "not a and b"),
        (A.Within(cmp("<", N("a"), num(1)), A.Duration(300)), "a < 1 within 5m"),
        (A.Within(A.Not(N("a")), A.BarCount(2)), "(not a) within 2 bars"),
        (A.Not(A.Within(N("a"), A.BarCount(2))), "not a within 2 bars"),
        (A.For(A.Within(N("a"), A.Duration(60)), A.Duration(3600)), "a within 1m for 1h"),
        (A.Within(A.And(N("a"), N("b")), A.Duration(60)), "(a and b) within 1m"),
        (A.Cross("above", N("f"), N("s")), "f crosses_above s"),
        (A.Cross("below", N("f"), N("s")), "f crosses_below s"),
        (A.Cross("any", N("f"), N("s")), "f crosses s"),
        (A.Between(N("x"), A.Neg(num(1)), A.BinOp("+", N("y"), num(2))), "x between -1 and y + 2"),
        (cmp("<", cmp("<", N("a"), N("b")), N("c")), "(a < b) < c"),
        (A.TimeIn("RTH"), "time in RTH"),
        (A.TimeBetween(9 * 60 + 45, 15 * 60 + 30), "time between 09:45 and 15:30"),
        (A.TimeBetween(20 * 60, 4 * 60), "time between 20:00 and 04:00"),
        (A.TimeBetween(0, 24 * 60), "time between 00:00 and 24:00"),
        (S("VIX"), "VIX"), (S("BRK.B"), "BRK.B"), (S("BRK B"), '"BRK B"'), (S("abc"), '"abc"'),
        (S("RTH"), "RTH"),
    ],
)
def test_format_expr(node, text):
    assert format_expr(node) == text


@pytest.mark.parametrize("node", [
    A.BinOp("-", N("a"), A.BinOp("-", N("b"), N("c"))),
    A.Or(N("a"), A.Or(N("b"), N("c"))),
    A.Within(A.Not(N("a")), A.BarCount(2)),
    A.Neg(A.Neg(num(3))),
    A.Between(A.Neg(N("x")), A.Neg(num(1)), A.BinOp("*", N("y"), num(2))),
])
def test_expr_reads_back(node):
    strategy = A.Strategy(universe=(S("A"),), body=(A.Rule("entry", None, node),))
    assert parse(format_strategy(strategy)) == strategy


@pytest.mark.parametrize("value, text", [
    (9, "9"), (0, "0"), (0.05, "0.05"), (2.0, "2.0"), (1e-05, "1e-05"), (3e16, "3e+16"), (0.1 + 0.2, "0.30000000000000004"),
    (10**30, "1" + "0" * 30),
])
def test_numbers_are_shortest_exact(value, text):
    assert format_number(value) == text
    assert type(parse(f"let x = {text}\n").body[0].expr.value) is type(value)


def test_unwritable_values_raise():
    for bad in (float("inf"), float("nan")):
        with pytest.raises(ValueError):
            format_number(bad)
    with pytest.raises(ValueError):
        format_symbol('A"B')


def test_settings_in_table_order_and_body_in_source_order():
    text = (
        "entry b: close > 1\nrisk: trailing_stop 3%\nfees: 0.1%\nlet x = 2\nrisk: max_daily_loss 2%\n"
        "order: market\nsizing: 10%\nbars: 1m\ncycle: 60m\ncapital: 5000\nuniverse: AAPL, \"BRK B\"\n"
        'strategy "S"\nexit: close < x\n'
    )
    assert format_source(text) == (
        'strategy "S"\nuniverse: AAPL, "BRK B"\ncapital: 5000\ncycle: 1h\nbars: 1m\nsizing: 10%\norder: market\n'
        "risk: max_daily_loss 2%\nrisk: trailing_stop 3%\nfees: 0.1%\n\n"
        "entry b: close > 1\n\nlet x = 2\n\nexit: close < x\n"
    )


@pytest.mark.parametrize("text, canonical", [
    ("universe: AAPL\nentry: a crosses above b\n", "universe: AAPL\n\nentry: a crosses_above b\n"),
    ("entry: a crosses  below b\n", "entry: a crosses_below b\n"),
    ("entry: ((a > b))\n", "entry: a > b\n"),
    ('universe: "AAPL"\n', "universe: AAPL\n"),
    ("universe: AAPL,\n", "universe: AAPL\n"),
    ("order: limit 0.05% ttl 1 cycles\n", "order: limit 0.05% ttl 1 cycle\n"),
    ("order: limit 0.05% ttl 3 cycle\n", "order: limit 0.05% ttl 3 cycles\n"),
    ("entry: x within 1 bars\n", "entry: x within 1 bar\n"),
    ("entry: x within 120s\n", "entry: x within 2m\n"),
    ("entry: x > .5\n", "entry: x > 0.5\n"),
    ("entry: x > 1E3\n", "entry: x > 1000.0\n"),
    ("entry: time between 9:30 and 16:00\n", "entry: time between 09:30 and 16:00\n"),
    ("entry: ema(close,\n   9,\n   5m) > 1\n", "entry: ema(close, 9, 5m) > 1\n"),
    ("sizing:equal\ncapital:1e4\n", "capital: 10000.0\nsizing: equal\n"),
    ("\n\n# only comments\n\n\n", "# only comments\n"),
    ("", ""),
])
def test_canonical_text(text, canonical):
    assert format_source(text) == canonical
    assert format_source(canonical) == canonical
    assert parse(canonical) == parse(text)


def test_format_strategy_drops_comments_format_source_keeps_them(tmp_path):
    text = "# header\n\nuniverse: A  # trailing\n\n# about x\nlet x = 1\nentry: close > x\n"
    assert format_strategy(parse(text)) == "universe: A\n\nlet x = 1\n\nentry: close > x\n"
    assert format_source(text) == "# header\n\nuniverse: A  # trailing\n\n# about x\nlet x = 1\n\nentry: close > x\n"


def test_comments_travel_with_their_setting():
    text = "entry: close > 1\n# why 2%\nrisk: stop_loss 2%   # per position\nuniverse: A\n"
    assert format_source(text) == "universe: A\n# why 2%\nrisk: stop_loss 2%   # per position\n\nentry: close > 1\n"


def test_trailing_comment_keeps_its_column_when_it_fits():
    text = "universe: A                # aligned\ncapital: 5000              # aligned too\n"
    assert format_source(text) == text
    squeezed = "entry: a crosses above b # c\n"
    assert format_source(squeezed) == "entry: a crosses_above b  # c\n"


def test_comments_inside_a_continued_statement_move_above_it():
    text = "entry: (a > 1 # first\n  # inner\n  or b < 2)  # last\n"
    assert format_source(text) == "# first\n# inner\nentry: a > 1 or b < 2  # last\n"


def test_hash_inside_a_string_is_not_a_comment():
    text = 'strategy "A # B"  # real\nuniverse: "X # Y"\n'
    assert format_source(text) == text


def test_user_blank_lines_in_the_body_are_kept_and_collapsed():
    text = "universe: A\n\nentry: a > 1\n\n\n\nentry: b > 1\nexit: c > 1\n"
    assert format_source(text) == "universe: A\n\nentry: a > 1\n\nentry: b > 1\nexit: c > 1\n"


def test_trailer_comments_stay_at_the_end():
    text = "universe: A\nentry: a > 1\n\n# note one\n\n# note two\n"
    assert format_source(text) == "universe: A\n\nentry: a > 1\n\n# note one\n\n# note two\n"


def test_format_source_reports_syntax_errors():
    from rbts.dsl.errors import RbtsError

    with pytest.raises(RbtsError) as err:
        format_source("universe: A\nentry: close >\n", "x.rbts")
    assert err.value.diagnostics[0].span.line == 2


# ----------------------------------------------------------------------------- comments, generated

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted((ROOT / "examples").glob("*.rbts")) + sorted((ROOT / "tests" / "corpus" / "valid").glob("*.rbts"))


def _comments(text: str) -> list[str]:
    out = []
    for line in text.split("\n"):
        in_string = False
        for i, ch in enumerate(line):
            if ch == '"':
                in_string = not in_string
            elif ch == "#" and not in_string:
                out.append(line[i:].rstrip())
                break
    return out


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(CORPUS), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 3)), max_size=8))
def test_format_source_keeps_every_comment(path, edits):
    lines = path.read_text().split("\n")
    for n, (where, kind) in enumerate(edits):
        i = where % len(lines)
        if kind == 0:
            lines.insert(i, f"# note {n}")
        elif kind == 1:
            lines.insert(i, f"   # indented {n}   ")
        elif kind == 2 and lines[i].strip() and "#" not in lines[i]:
            lines[i] += f"   # trailing {n}"
        else:
            lines.insert(i, "")
    text = "\n".join(lines)
    out = format_source(text)
    assert sorted(_comments(out)) == sorted(c.strip() for c in _comments(text))
    assert format_source(out) == out
    assert parse(out) == parse(text)


# ----------------------------------------------------------------------------- edited ASTs keep comments

EDITED = """# My strategy

universe: AAPL  # the only one
cycle: 5m

# trend
let fast = ema(close, 9, 5m)  # quick
entry go: fast > 1  # enter
# leave
exit stop: fast < 1
"""


def test_an_edited_ast_keeps_the_comments_of_its_statements():
    old = parse(EDITED)
    edited = A.Strategy(
        universe=old.universe, cycle=old.cycle, capital=A.Number(5000),
        body=(old.body[0], A.Rule("entry", "go", A.Compare(">", A.Name("fast"), A.Number(2))),
              A.Rule("entry", None, A.TimeIn("RTH")), old.body[2]),
    )
    assert format_source(EDITED, strategy=edited) == (
        "# My strategy\n\nuniverse: AAPL  # the only one\ncapital: 5000\ncycle: 5m\n\n"
        "# trend\nlet fast = ema(close, 9, 5m)  # quick\n\n"
        "entry go: fast > 2  # enter\nentry: time in RTH\n# leave\nexit stop: fast < 1\n"
    )


def test_removed_statements_take_their_comments_with_them():
    old = parse(EDITED)
    edited = A.Strategy(universe=old.universe, cycle=None, body=(old.body[0], old.body[2]))
    out = format_source(EDITED, strategy=edited)
    assert "# enter" not in out and "# leave" in out and "cycle" not in out
    assert parse(out) == edited


def test_unnamed_rules_are_matched_by_equality():
    text = "universe: A\n\nentry: a > 1  # one\nentry: b > 1  # two\n"
    old = parse(text)
    swapped = A.Strategy(universe=old.universe, body=(old.body[1], old.body[0]))
    assert format_source(text, strategy=swapped) == "universe: A\n\nentry: b > 1  # two\nentry: a > 1  # one\n"


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(CORPUS), st.randoms(use_true_random=False))
def test_edited_asts_are_written_exactly(path, rnd):
    text = path.read_text()
    old = parse(text)
    body = [s for s in old.body if rnd.random() < 0.8]
    rnd.shuffle(body)
    body.insert(rnd.randint(0, len(body)), A.Rule("exit", None, A.TimeIn("ETH")))
    edited = A.Strategy(name=old.name, universe=old.universe, capital=None, cycle=old.cycle,
                        bars=A.Duration(300), params=old.params, body=tuple(body))
    out = format_source(text, strategy=edited)
    assert parse(out) == edited
    assert format_source(out) == out
