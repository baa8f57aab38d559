"""Round trips: corpus files and generated ASTs through text and JSON; fuzzed
files never fail with anything but a positioned RbtsError."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rbts.dsl import ast as A
from rbts.dsl.checker import check
from rbts.dsl.errors import RbtsError
from rbts.dsl.formatter import format_source, format_strategy
from rbts.dsl.json_validate import validator_class
from rbts.dsl.json_form import dumps, from_json, schema, to_json
from rbts.dsl.parser import parse
from rbts.dsl.settings import ResolvedSettings

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted((ROOT / "examples").glob("*.rbts")) + sorted((ROOT / "tests" / "corpus" / "valid").glob("*.rbts"))
VALIDATOR = validator_class()(schema())  # the schema as Python reads it: ECMA's `$` (end of text)
SETTINGS = ResolvedSettings(name="generated", universe=(), cycle_seconds=60)

# ----------------------------------------------------------------------------- corpus


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_corpus_round_trips(path):
    text = path.read_text()
    strategy = parse(text, str(path))
    checked = check(strategy, str(path))
    assert format_source(text) == text, "corpus files are kept canonical"
    assert parse(format_strategy(strategy)) == strategy
    assert format_strategy(parse(format_strategy(strategy))) == format_strategy(strategy)
    data = to_json(strategy, filename=str(path), settings=checked.settings)
    VALIDATOR.validate(data)
    assert from_json(dumps(data)) == strategy
    assert from_json(data) == strategy


def test_corpus_covers_the_language():
    seen = set()
    for path in CORPUS:
        strategy = parse(path.read_text())
        for stmt in strategy.body:
            seen.update(type(n).__name__ for n in stmt.walk())
            seen.update(f"call:{n.func}" for n in stmt.walk() if isinstance(n, A.Call))
        seen.update(f"risk:{r.kind}" for r in strategy.risks)
        seen.add(f"order:{strategy.order.kind}" if strategy.order else "order:default")
        seen.add(f"sizing:{strategy.sizing.kind}" if strategy.sizing else "sizing:default")
    nodes = {"Number", "Percent", "Name", "Symbol", "Call", "Neg", "BinOp", "Compare", "Cross", "Between",
             "TimeIn", "TimeBetween", "Within", "For", "Not", "And", "Or", "Duration", "BarCount"}
    calls = {f"call:{f}" for f in ("ema", "sma", "wma", "hma", "dema", "rsi", "atr", "vwap", "bb_upper", "bb_middle",
                                     "bb_lower", "macd", "macd_signal", "highest", "lowest", "change", "pct_change",
                                     "slope", "prev", "open", "high", "low", "close", "volume")}
    other = {f"risk:{k}" for k in A.RISK_KINDS} | {"order:market", "order:limit", "sizing:equal", "sizing:percent",
                                                   "sizing:fixed"}
    assert nodes | calls | other <= seen, sorted((nodes | calls | other) - seen)


# ----------------------------------------------------------------------------- generated ASTs

KEYWORDS = set(schema()["$defs"]["name"]["properties"]["name"]["not"]["enum"])
names = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True).filter(lambda n: n not in KEYWORDS)
plain_symbols = st.from_regex(r"[A-Z][A-Z0-9]{0,4}(\.[A-Z0-9]{1,2})?", fullmatch=True)
quoted_symbols = st.text(st.characters(blacklist_characters='"\n\r', blacklist_categories=("Cs", "Cc")), min_size=1,
                         max_size=8).filter(lambda s: s.strip())
symbols = st.one_of(plain_symbols, quoted_symbols).map(A.Symbol)
numbers = st.one_of(st.integers(0, 10**18), st.floats(0, 1e300, allow_nan=False, allow_infinity=False))
durations = st.integers(1, 10**7).map(A.Duration)
bar_counts = st.integers(1, 10**6).map(A.BarCount)
windows = st.one_of(durations, bar_counts)
clock = st.integers(0, 24 * 60)


def _extend(children):
    pair = st.tuples(children, children)
    return st.one_of(
        st.builds(A.Neg, children),
        st.builds(lambda o, lr: A.BinOp(o, *lr), st.sampled_from("+-*/"), pair),
        st.builds(lambda o, lr: A.Compare(o, *lr), st.sampled_from(["<", "<=", ">", ">="]), pair),
        st.builds(lambda d, lr: A.Cross(d, *lr), st.sampled_from(["above", "below", "any"]), pair),
        st.builds(A.Between, children, children, children),
        st.builds(A.Within, children, windows),
        st.builds(A.For, children, windows),
        st.builds(A.Not, children),
        st.builds(lambda lr: A.And(*lr), pair),
        st.builds(lambda lr: A.Or(*lr), pair),
        st.builds(A.Call, names, st.lists(st.one_of(children, windows), max_size=4).map(tuple)),
    )


leaves = st.one_of(
    numbers.map(A.Number), numbers.map(A.Percent), names.map(A.Name), symbols,
    st.sampled_from(["RTH", "ETH"]).map(A.TimeIn),
    st.tuples(clock, clock).filter(lambda t: t[0] != t[1]).map(lambda t: A.TimeBetween(*t)),
)
exprs = st.recursive(leaves, _extend, max_leaves=12)
statements = st.one_of(
    st.builds(A.Let, names, exprs),
    st.builds(A.Rule, st.sampled_from(["global", "entry", "exit"]), st.none() | names, exprs),
)
percents = numbers.map(A.Percent)
orders = st.one_of(
    st.just(A.Order("market")),
    st.builds(lambda p, t: A.Order("limit", p, t), percents, st.none() | durations | bar_counts),
)
sizings = st.one_of(
    st.just(A.Sizing("equal")),
    st.builds(A.Sizing, st.sampled_from(["percent", "fixed"]), numbers),
)
risks = st.sets(st.sampled_from(A.RISK_KINDS)).flatmap(
    lambda kinds: st.tuples(*[st.builds(A.Risk, st.just(k), percents) for k in A.RISK_KINDS if k in kinds])
)
strategies = st.builds(
    A.Strategy,
    name=st.none() | st.text(st.characters(blacklist_characters='"\n\r', blacklist_categories=("Cs", "Cc")), max_size=12),
    universe=st.none() | st.lists(symbols, min_size=1, max_size=4).map(tuple),
    capital=st.none() | numbers.map(A.Number),
    cycle=st.none() | durations,
    bars=st.none() | durations,
    sizing=st.none() | sizings,
    order=st.none() | orders,
    risks=risks,
    fees=st.none() | percents,
    body=st.lists(statements, max_size=5).map(tuple),
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(strategies)
def test_generated_strategies_round_trip_through_text(strategy):
    text = format_strategy(strategy)
    assert parse(text) == strategy
    assert format_strategy(parse(text)) == text
    assert format_source(text) == text


@FAST
@given(strategies)
def test_generated_strategies_round_trip_through_json(strategy):
    data = to_json(strategy, settings=SETTINGS)
    VALIDATOR.validate(data)
    assert from_json(dumps(data)) == strategy
    assert from_json(json.loads(json.dumps(data))) == strategy


# ----------------------------------------------------------------------------- fuzzing


def _tokens(text: str) -> list[str]:
    import re

    return re.findall(r'"[^"\n]*"|\w+|\s+|.', text)


def _mutate(text: str, rng: random.Random) -> str:
    tokens = _tokens(text)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(tokens))
        kind = rng.randrange(8)
        if kind == 0:
            del tokens[i]
        elif kind == 1:
            tokens.insert(i, tokens[i])
        elif kind == 2:
            j = rng.randrange(len(tokens))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif kind == 3:
            tokens.insert(i, "".join(chr(rng.randrange(0, 0x2FFF)) for _ in range(rng.randint(1, 3))))
        elif kind == 4:
            tokens.insert(i, rng.choice(["9" * rng.choice([20, 400, 5000]), "1e999", "0", "0m", "99:99", "1e-400"]))
        elif kind == 5:
            depth = rng.choice([50, 250, 3000])
            tokens.insert(i, rng.choice(["(" * depth + "1" + ")" * depth, "-" * depth + "x", "not " * depth + "x",
                                         "a within 1m " * 10]))
        elif kind == 6:
            tokens.insert(i, rng.choice(["é", "ß", "\u2028", "\x0b", "\t", "\r", "\x00", "#", '"', "(", ")", ":", "%"]))
        else:
            tokens[i] = rng.choice(["and", "or", "not", "crosses", "within", "for", "between", "time", "in", "ttl",
                                    "bars", ",", "RTH", "\n", "let", "entry"])
    return "".join(tokens)


def _exercise(text: str) -> None:
    """Everything a user can run on a text; only positioned RbtsErrors may escape."""
    try:
        strategy = parse(text, "fuzz.rbts")
        assert parse(format_strategy(strategy)) == strategy
        formatted = format_source(text, "fuzz.rbts")
        assert format_source(formatted) == formatted
        checked = check(strategy, "fuzz.rbts")
        data = to_json(strategy, settings=checked.settings)
        assert from_json(dumps(data)) == strategy
    except RbtsError as exc:
        assert exc.diagnostics, text
        assert all(d.span is not None and d.span.line >= 1 and d.span.col >= 1 for d in exc.diagnostics), (
            text, exc.render())
        exc.with_source("fuzz.rbts", text).render()


SEEDS = [(path, seed) for path in CORPUS for seed in range(40)]


@pytest.mark.parametrize("path, seed", SEEDS, ids=[f"{p.stem}-{s}" for p, s in SEEDS])
def test_mutated_files_fail_only_with_positioned_errors(path, seed):
    rng = random.Random(f"{path.name}:{seed}")
    _exercise(_mutate(path.read_text(), rng))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_fails_only_with_positioned_errors(text):
    _exercise(text)  # NUL bytes included: the parser reports them too


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} does not fit a float")
    return value


def _json_mutations():
    files = [p.with_suffix(".json") for p in CORPUS if p.with_suffix(".json").exists()]
    values = ["", "0", "-1", "2.5", "null", "true", "[]", "{}", '"x"', '"5m"', '"and"', ",", "}", "1e999", "\ufeff"]
    return st.builds(
        lambda path, i, n, insert: (path, i, n, insert),
        st.sampled_from(files), st.integers(0, 10**6), st.integers(0, 8), st.sampled_from(values),
    )


@settings(max_examples=150, deadline=None)
@given(_json_mutations())
def test_mutated_json_fails_only_with_positioned_errors(mutation):
    path, i, n, insert = mutation
    text = path.read_text()
    i %= len(text)
    broken = text[:i] + insert + text[i + n:]
    try:  # the oracle: JSON whose numbers are finite floats (1e999 does not fit one: invalid, as in from_json)
        loaded = json.loads(broken, parse_float=_finite)
    except ValueError:
        loaded = None
    full_verdict = loaded is not None and VALIDATOR.is_valid(loaded)
    try:
        strategy = from_json(broken, "fuzz.json")
    except RbtsError as exc:
        diag = exc.diagnostics[0]
        exc.with_source("fuzz.json", broken).render()
        if diag.message.startswith("invalid JSON") or not full_verdict:
            assert diag.span is not None, exc.render()
        if full_verdict:  # only the checks the schema cannot express may fail (1e999 loads as inf in Python)
            assert any(w in diag.message for w in ("time of day", "two different times", "version", "too large",
                                                   "finite")), exc.render()
        return
    assert full_verdict, "from_json accepted what the full schema rejects"
    try:
        check(strategy)
    except RbtsError as exc:
        assert exc.diagnostics
