"""Text and JSON agree on what is valid (issue #13): a strategy compiles from its text exactly
when it loads (and checks) from its JSON form, and both read back the same strategy.

The strategies are generated as ASTs, mostly well-typed (so that most are valid and the
property has teeth) with the leaves the two forms used to disagree on mixed in: keyword and
over-long names, control characters and trailing newlines in names and symbols, symbols
outside the symbol rule, -0.0 and negative literals, whole numbers over 100 digits, huge
durations, bar counts and look-backs.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rbts.dsl import ast as A
from rbts.dsl.checker import check
from rbts.dsl.errors import RbtsError
from rbts.dsl.formatter import format_strategy
from rbts.dsl.json_form import dumps, from_json, to_json
from rbts.dsl.limits import NAME_KEYWORDS, normalize_symbol
from rbts.dsl.parser import parse
from rbts.dsl.settings import ResolvedSettings

ODD_NAMES = sorted(NAME_KEYWORDS) + ["e1\n", "x" * 65, "a\tb", "Upper", "9lives", "", "close", "ema", "équipe"]
ODD_SYMBOLS = ["A\x01B", "SPY\n", "ABC-1", "", " ", "spy", "X" * 40, "\u0669", "BRK..B", "^VIX", "A$B"]
ODD_NUMBERS = [-0.0, -1, -2.5, 10**100, 10**101, 1e300, 5e-324, 0]
ODD_TEXTS = ["a\tb", "a\nb", 'say "hi"', "x" * 201, "\x7f", "ok name"]

def mostly(usual: st.SearchStrategy, odd: st.SearchStrategy) -> st.SearchStrategy:
    """``usual`` nine times in ten: one odd leaf per strategy or so, most strategies valid."""
    return st.integers(0, 9).flatmap(lambda k: odd if k == 0 else usual)


names = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(lambda n: n not in NAME_KEYWORDS)
rule_names = mostly(names, st.sampled_from(ODD_NAMES))
tickers = mostly(st.sampled_from(["AAPL", "MSFT", "BRK.B", "BRK B", "X1"]), st.sampled_from(ODD_SYMBOLS))
symbols = mostly(st.sampled_from(["AAPL", "MSFT", "BRK.B", "VIX"]), st.sampled_from(ODD_SYMBOLS))
numbers = mostly(st.one_of(st.integers(1, 500), st.floats(0.01, 99, allow_nan=False)), st.sampled_from(ODD_NUMBERS))
periods = mostly(st.integers(2, 50), st.sampled_from([0, 1, 100_001, 10**99, 10**100, -3]))
durations = mostly(st.sampled_from([60, 300, 3600, 86_400]), st.sampled_from([7, 10**7, 3661 * 86_400, 10**30]))
windows = st.one_of(durations.map(A.Duration),
                    mostly(st.integers(1, 50), st.sampled_from([10**6 + 1, 10**99])).map(A.BarCount))
fields = st.sampled_from(["open", "high", "low", "close", "volume"]).map(A.Name)


def _series():
    return st.one_of(
        fields,
        symbols.map(A.Symbol),
        st.builds(lambda f, n: A.Call("ema", (f, A.Number(n))), fields, periods),
        st.builds(lambda f, n: A.Call("prev", (f, A.Number(n))), fields, periods),
        st.builds(lambda f, w: A.Call("highest", (f, w)), fields, windows),
    )


def _constants():
    return st.one_of(numbers.map(A.Number), numbers.map(A.Number).map(A.Neg), numbers.map(A.Percent))


def _conditions():
    compare = st.builds(A.Compare, st.sampled_from(["<", ">", "<=", ">="]), _series(), st.one_of(_series(), _constants()))
    return st.one_of(compare, st.builds(A.Within, compare, windows), st.builds(A.For, compare, windows),
                     st.builds(A.And, compare, compare), st.builds(A.Not, compare))


@st.composite
def _bodies(draw):
    lets = draw(st.lists(st.tuples(rule_names, _series()), max_size=2, unique_by=lambda t: t[0]))
    body: list[A.Node] = [A.Let(n, e) for n, e in lets]
    used = [A.Name(n) for n, _ in lets]
    for scope in ("entry", "exit"):
        cond = draw(_conditions())
        if used and draw(st.booleans()):
            cond = A.And(cond, A.Compare(">", draw(st.sampled_from(used)), A.Number(0)))
        body.append(A.Rule(scope, draw(st.none() | rule_names), cond))
    if draw(st.booleans()):
        body.append(A.Rule("global", draw(st.none() | rule_names), draw(_conditions())))
    return tuple(body)


strategies = st.builds(
    A.Strategy,
    name=st.none() | mostly(st.sampled_from(["demo", "VIX-calm EMA cross"]), st.sampled_from(ODD_TEXTS)),
    universe=st.lists(tickers, min_size=1, max_size=3, unique_by=normalize_symbol).map(lambda t: tuple(map(A.Symbol, t))),
    capital=st.none() | mostly(st.integers(1000, 10**6), st.sampled_from([0, 10**13, 10**100, 0.5])).map(A.Number),
    cycle=st.none() | st.sampled_from([60, 300, 3600]).map(A.Duration),
    bars=st.none() | st.sampled_from([60, 300]).map(A.Duration),
    sizing=st.none() | st.builds(A.Sizing, st.just("fixed"), mostly(st.just(1000), numbers)),
    order=st.none() | st.builds(lambda p, t: A.Order("limit", A.Percent(p), t), mostly(st.just(0.1), numbers),
                                st.none() | windows),
    fees=st.none() | mostly(st.just(0.05), numbers).map(A.Percent),
    body=_bodies(),
)


def _text_verdict(strategy: A.Strategy):
    """The strategy as its text reads and checks, or None when the text cannot hold it."""
    try:
        text = format_strategy(strategy)
        read = parse(text)
        return check(read) if read == strategy else None
    except (RbtsError, ValueError):  # ValueError: the formatter cannot write it (a tab in a quoted string)
        return None


def _json_verdict(strategy: A.Strategy):
    """The strategy as its JSON form loads and checks, or None when JSON refuses it."""
    try:
        data = to_json(strategy, settings=ResolvedSettings(name="generated", universe=(), cycle_seconds=60))
        read = from_json(dumps(data))
        return check(read) if read == strategy else None
    except RbtsError:
        return None


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies)
def test_text_and_json_agree_on_what_is_valid(strategy):
    by_text, by_json = _text_verdict(strategy), _json_verdict(strategy)
    assert (by_text is None) == (by_json is None), (
        f"text {'accepts' if by_text else 'refuses'} what JSON {'accepts' if by_json else 'refuses'}")
    if by_text is not None:
        assert by_text.strategy == by_json.strategy


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies)
def test_a_file_that_compiles_exports_json_that_loads_and_back(strategy):
    """Both directions as a user meets them: compile a text and load what it exports; load a
    JSON form and compile the text `rbts fmt` would write for it."""
    try:
        checked = check(parse(format_strategy(strategy), "s.rbts"), "s.rbts")
    except (RbtsError, ValueError):
        checked = None
    if checked is not None:
        exported = dumps(to_json(checked.strategy, filename="s.rbts", settings=checked.settings))
        assert check(from_json(exported, "s.json")).strategy == checked.strategy
    data = dumps(to_json(strategy, settings=ResolvedSettings(name="generated", universe=(), cycle_seconds=60)))
    try:
        loaded = check(from_json(data, "s.json"), "s.json")
    except RbtsError:
        return
    assert check(parse(format_strategy(loaded.strategy))).strategy == loaded.strategy
