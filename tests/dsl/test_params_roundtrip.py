"""Params (SPEC §6.1) through text and JSON: generated strategies with declarations and uses
everywhere a param may stand round-trip exactly (``parse(format(ast)) == ast``,
``from_json(to_json(ast)) == ast``, the JSON valid against the schema); and the domain of
any range is computed exactly (each value the number its text reads as)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rbts.dsl import ast as A
from rbts.dsl.formatter import format_number, format_source, format_strategy
from rbts.dsl.json_form import dumps, from_json, schema, to_json
from rbts.dsl.json_validate import validator_class
from rbts.dsl.param_domains import domain_of
from rbts.dsl.parser import parse
from rbts.dsl.settings import ResolvedSettings

VALIDATOR = validator_class()(schema())
SETTINGS = ResolvedSettings(name="generated", universe=(), cycle_seconds=60)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYWORDS = set(schema()["$defs"]["name"]["properties"]["name"]["not"]["enum"])
body_names = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True).filter(
    lambda n: n not in KEYWORDS and not n.startswith("pp"))
signed_numbers = st.one_of(st.integers(-10**12, 10**12), st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False))
numbers = st.one_of(st.integers(0, 10**12), st.floats(0, 1e300, allow_nan=False, allow_infinity=False))
durations = st.integers(1, 10**7).map(A.Duration)
LITERALS = {"number": signed_numbers.map(A.Number), "percent": signed_numbers.map(A.Percent), "duration": durations}


def _param(name: str, kind: str):
    lit = LITERALS[kind]
    ranges = st.builds(A.ParamRange, lit, lit, st.none() | lit)
    lists = st.lists(lit, min_size=1, max_size=4).map(lambda v: A.ParamList(tuple(v)))
    return st.builds(A.Param, st.just(name), lit, st.one_of(ranges, lists))


@st.composite
def strategies_with_params(draw):
    kinds = draw(st.lists(st.sampled_from(A.PARAM_KINDS), min_size=1, max_size=4))
    params = tuple(draw(_param(f"pp{i}", kind)) for i, kind in enumerate(kinds))
    refs = st.sampled_from([p.name for p in params]).map(A.ParamRef)
    # settings hold a param's default in the JSON form, where they are never negative
    by_kind = {k: [p.name for p in params if p.kind == k and (k == "duration" or p.default.value >= 0)]
               for k in A.PARAM_KINDS}

    def of_kind(kind):
        return st.sampled_from(by_kind[kind]).map(A.ParamRef) if by_kind[kind] else st.nothing()

    leaves = st.one_of(numbers.map(A.Number), numbers.map(A.Percent), body_names.map(A.Name), refs,
                       st.sampled_from(["RTH", "ETH"]).map(A.TimeIn))
    windows = st.one_of(durations, st.integers(1, 10**6).map(A.BarCount), of_kind("duration"))

    def extend(children):
        pair = st.tuples(children, children)
        return st.one_of(
            st.builds(A.Neg, children),
            st.builds(lambda o, lr: A.BinOp(o, *lr), st.sampled_from("+-*/"), pair),
            st.builds(lambda o, lr: A.Compare(o, *lr), st.sampled_from(["<", "<=", ">", ">="]), pair),
            st.builds(A.Within, children, windows),
            st.builds(A.For, children, windows),
            st.builds(lambda lr: A.And(*lr), pair),
            st.builds(A.Call, body_names, st.lists(st.one_of(children, windows), max_size=4).map(tuple)),
        )

    exprs = st.recursive(leaves, extend, max_leaves=10)
    body = draw(st.lists(st.one_of(
        st.builds(A.Let, body_names, exprs),
        st.builds(A.Rule, st.sampled_from(["global", "entry", "exit"]), st.none() | body_names, exprs),
    ), max_size=4).map(tuple))
    percent = st.one_of(numbers.map(A.Percent), of_kind("percent"))
    sizing = draw(st.none() | st.one_of(
        st.just(A.Sizing("equal")),
        st.builds(A.Sizing, st.sampled_from(["percent", "fixed"]), numbers),
        of_kind("percent").map(lambda r: A.Sizing("percent", r)),
        of_kind("number").map(lambda r: A.Sizing("fixed", r)),
    ))
    order = draw(st.none() | st.one_of(
        st.just(A.Order("market")),
        st.builds(lambda p, t: A.Order("limit", p, t), percent, st.none() | durations | of_kind("duration")),
    ))
    risk_kinds = draw(st.sets(st.sampled_from(A.RISK_KINDS)))
    risks = tuple(A.Risk(k, draw(percent)) for k in A.RISK_KINDS if k in risk_kinds)
    return A.Strategy(universe=(A.Symbol("AAPL"),), cycle=A.Duration(60), sizing=sizing, order=order, risks=risks,
                      params=params, body=body)


@FAST
@given(strategies_with_params())
def test_strategies_with_params_round_trip_through_text(strategy):
    text = format_strategy(strategy)
    assert parse(text) == strategy
    assert format_strategy(parse(text)) == text
    assert format_source(text) == text


@FAST
@given(strategies_with_params())
def test_strategies_with_params_round_trip_through_json(strategy):
    data = to_json(strategy, settings=SETTINGS)
    VALIDATOR.validate(data)
    assert from_json(dumps(data)) == strategy
    assert from_json(data) == strategy


# ----------------------------------------------------------------------------- exact domains

decimals = st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False, allow_infinity=False)


@FAST
@given(decimals, st.decimals(min_value=Decimal("0.001"), max_value=50, places=3), st.integers(0, 200))
def test_a_range_holds_exactly_the_numbers_its_text_would_read_as(low, step, steps):
    high = low + step * steps
    text = f"param x = {low} in {low}..{high} step {step}\n"
    strategy = parse("universe: AAPL\n" + text)
    values = domain_of(strategy.params[0]).values
    assert len(values) == steps + 1
    for i, value in enumerate(values):
        exact = low + step * i
        assert value == float(exact) and Decimal(format_number(value)) == exact  # never 0.30000000000000004
