"""The JSON form: examples, schema, defaults, positioned errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from rbts.dsl import ast as A
from rbts.dsl.checker import check
from rbts.dsl.errors import RbtsError
from rbts.dsl.json_validate import validator_class
from rbts.dsl.json_form import dumps, from_json, schema, to_json
from rbts.dsl.parser import parse

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.rbts"))
VALIDATOR = validator_class()(schema())  # the schema as Python reads it: ECMA's `$` (end of text)


def example_json(path: Path) -> dict:
    strategy = parse(path.read_text(), str(path))
    return to_json(strategy, filename=str(path), settings=check(strategy).settings)


def test_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(schema())


def test_every_example_ships_its_json():
    assert len(EXAMPLES) >= 4
    for path in EXAMPLES:
        shipped = path.with_suffix(".json")
        assert shipped.exists(), f"{shipped.name} missing (rbts compile {path.name} -o {shipped.name})"
        assert json.loads(shipped.read_text()) == example_json(path), f"{shipped.name} is stale"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_json_validates_and_reads_back(path):
    data = json.loads(path.with_suffix(".json").read_text())
    VALIDATOR.validate(data)
    assert from_json(path.with_suffix(".json").read_text()) == parse(path.read_text())


def test_reference_strategy_json():
    data = json.loads((ROOT / "examples" / "vix_ema_cross.json").read_text())
    assert data["rbts"] == 1
    assert data["name"] == "VIX-calm EMA cross"
    assert data["settings"] == {
        "universe": ["AAPL", "MSFT", "NVDA", "AMZN"], "capital": 10000, "cycle": "5m", "bars": "1m",
        "sizing": {"kind": "equal"}, "order": {"kind": "limit", "offset_pct": 0.05, "ttl": "5m"},
        "risk": {"max_daily_loss_pct": 2, "stop_loss_pct": None, "take_profit_pct": None, "trailing_stop_pct": None},
        "fees_pct": 0,
    }
    assert data["defaulted"] == ["bars", "fees"]
    assert data["body"][3]["cond"] == {
        "node": "compare", "op": "<",
        "left": {"node": "call", "func": "slope", "args": [
            {"node": "call", "func": "ema", "args": [
                {"node": "symbol", "name": "VIX"}, {"node": "number", "value": 9}, {"node": "duration", "value": "5m"}]},
            {"node": "duration", "value": "30m"}]},
        "right": {"node": "neg", "operand": {"node": "number", "value": 0.25}},
    }


def test_every_setting_explicit_with_defaults_resolved():
    strategy = parse("universe: A\nlet f = ema(close, 9, 15m)\nentry: f > 1\nexit: f < 1\n")
    data = to_json(strategy, filename="dir/my_strat.rbts")
    assert data["name"] == "my_strat"
    assert data["settings"]["cycle"] == "15m"  # the smallest timeframe used
    assert data["settings"]["order"] == {"kind": "limit", "offset_pct": 0.05, "ttl": {"cycles": 1}}
    assert data["settings"]["capital"] == 10000 and data["settings"]["bars"] == "1m"
    assert data["defaulted"] == ["name", "capital", "cycle", "bars", "sizing", "order", "fees"]
    assert from_json(data) == strategy


def test_limit_order_without_ttl_records_the_defaulted_ttl():
    strategy = parse("universe: A\ncycle: 5m\norder: limit 0.2%\nentry: close > 1\n")
    data = to_json(strategy)
    assert data["settings"]["order"] == {"kind": "limit", "offset_pct": 0.2, "ttl": {"cycles": 1}}
    assert "order.ttl" in data["defaulted"] and "order" not in data["defaulted"]
    assert from_json(data) == strategy


def test_a_defaulted_setting_edited_to_another_value_counts_as_written():
    strategy = parse("universe: A\ncycle: 5m\nentry: close > 1\n")
    data = to_json(strategy)
    data["settings"]["capital"] = 25000
    data["settings"]["order"] = {"kind": "market"}
    edited = from_json(data)
    assert edited.capital == A.Number(25000) and edited.order == A.Order("market")
    assert edited.sizing is None


def test_to_json_checks_when_it_must_resolve_the_cycle():
    with pytest.raises(RbtsError, match="unknown name"):
        to_json(parse("universe: A\nentry: nope > 1\n"))
    assert to_json(parse("universe: A\ncycle: 1m\nentry: nope > 1\n"))["settings"]["cycle"] == "1m"


def test_int_and_float_survive():
    strategy = parse("universe: A\ncycle: 1m\ncapital: 10000.0\nentry: close > 2.0 and close < 3\n")
    back = from_json(dumps(strategy))
    assert type(back.capital.value) is float
    cond = back.body[0].cond
    assert type(cond.left.right.value) is float and type(cond.right.right.value) is int


def _reference() -> str:
    return (ROOT / "examples" / "vix_ema_cross.json").read_text()


def _mutate(edit):
    data = json.loads(_reference())
    edit(data)
    return dumps(data)


@pytest.mark.parametrize("edit, path, fragment", [
    (lambda d: d.pop("rbts"), "$", "'rbts' is a required property"),
    (lambda d: d["settings"].update(cycle="5x"), "$.settings.cycle", "is not a duration such as 30s, 5m"),
    (lambda d: d["settings"].update(cycle=300), "$.settings.cycle", "is not of type 'string'"),
    (lambda d: d["settings"]["universe"].append('A"B'), "$.settings.universe[4]", "is not a ticker"),
    (lambda d: d["body"][3]["cond"].update(op="<>"), "$.body[3].cond.op", "'<>' is not one of"),
    (lambda d: d["body"][2]["cond"].pop("session"), "$.body[2].cond", "'session' is a required property"),
    (lambda d: d["body"][0].update(name="and"), "$.body[0].name", "is a keyword"),
    (lambda d: d["body"][0].update(name="Fast"), "$.body[0].name", "is not a name (lower-case letters"),
    (lambda d: d["body"][0]["expr"]["args"][1].update(value=-9), "$.body[0].expr.args[1].value", "minimum"),
    (lambda d: d["body"][0]["expr"]["args"][1].update(extra=1), "$.body[0].expr.args[1]", "Additional properties"),
    (lambda d: d["body"][4].update(scope="enter"), "$.body[4].scope", "'enter' is not one of"),
    (lambda d: d["body"][4].update(cond={"node": "duration", "value": "5m"}), "$.body[4].cond.node", "is not one of"),
    (lambda d: d["defaulted"].append("colour"), "$.defaulted[2]", "'colour' is not one of"),
    (lambda d: d.update(extra=True), "$", "Additional properties"),
])
def test_schema_violations_name_the_path_and_position(edit, path, fragment):
    text = _mutate(edit)
    with pytest.raises(RbtsError) as err:
        from_json(text, "bad.json")
    diag = err.value.diagnostics[0]
    assert diag.message.startswith(f"{path}: ") and fragment in diag.message
    assert diag.span is not None
    rendered = err.value.render()
    assert rendered.startswith(f"bad.json:{diag.span.line}:{diag.span.col}: error: {path}")
    with pytest.raises(Exception):
        VALIDATOR.validate(json.loads(text))


@pytest.mark.parametrize("text, line, col, fragment", [
    ('{"rbts": 1,\n  "name": }', 2, 11, "invalid JSON: Expecting value"),
    ('{"rbts": 1', 1, 11, "Expecting ',' delimiter"),
    ("", 1, 1, "Expecting value"),
    ('{"a": NaN}', 1, 7, "NaN is not allowed"),  # at the value (was 1:1)
    ('{"a": 1e999}', 1, 7, "too large"),  # at the number (was 1:1)
    ("[" * 100_000, 1, 1, "nested too deeply"),
])
def test_invalid_json_is_positioned(text, line, col, fragment):
    with pytest.raises(RbtsError) as err:
        from_json(text, "x.json")
    diag = err.value.diagnostics[0]
    assert fragment in diag.message
    assert (diag.span.line, diag.span.col) == (line, col)


def test_other_versions_are_refused():
    with pytest.raises(RbtsError, match="version 2"):
        from_json('{"rbts": 2}')


def test_bad_values_the_schema_cannot_see():
    def bad_clock(d):
        d["body"][2]["cond"] = {"node": "time_between", "start": "24:30", "end": "10:00"}

    with pytest.raises(RbtsError, match=r"\$\.body\[2\]\.cond\.start: 24:30 is not a time of day"):
        from_json(_mutate(bad_clock))

    def same_times(d):
        d["body"][2]["cond"] = {"node": "time_between", "start": "10:00", "end": "10:00"}

    with pytest.raises(RbtsError, match="two different times"):
        from_json(_mutate(same_times))


def test_deep_expression_trees_are_refused_not_crashing():
    node = {"node": "name", "name": "x"}
    for _ in range(400):
        node = {"node": "not", "operand": node}
    data = json.loads(_reference())
    data["body"][2]["cond"] = node
    with pytest.raises(RbtsError, match="nested"):
        from_json(data)


def test_nodes_from_json_text_carry_spans_into_the_json():
    text = _reference()
    strategy = from_json(text)
    cond = strategy.body[3].cond
    line = text.splitlines()[cond.span.line - 1]
    assert line[cond.span.col - 1:].startswith("{")
    assert strategy.universe[0].span is not None


def test_checker_errors_of_a_json_strategy_point_into_the_json():
    data = json.loads(_reference())
    data["body"][0]["expr"]["func"] = "emma"
    text = dumps(data)
    with pytest.raises(RbtsError) as err:
        check(from_json(text))
    diag = err.value.diagnostics[0]
    assert "unknown function 'emma'" in diag.message
    assert text.splitlines()[diag.span.line - 1].strip().startswith('"expr": {')  # the call's object


def test_dict_input_is_not_mutated():
    data = json.loads(_reference())
    before = copy.deepcopy(data)
    from_json(data)
    assert data == before


def test_schema_describes_every_ast_node_and_field():
    """Adding a node or a field to dsl/ast.py must come with its schema definition."""
    from dataclasses import fields as dc_fields

    from rbts.dsl.json_form import _TAGS

    defs = schema()["$defs"]
    expr_classes = {c for c in A.Expr.__args__} | {c for c in A.Cond.__args__}
    assert expr_classes | {A.Duration, A.BarCount, A.Let, A.Rule} == set(_TAGS)
    for cls, tag in _TAGS.items():
        keys = set(defs[tag]["required"]) - {"node"}
        if cls is A.Duration:
            assert keys == {"value"}
        else:
            assert keys == {f.name for f in dc_fields(cls) if f.name != "span"}, tag
