"""Schema validation of the JSON form, node by node.

``dsl/schema.json`` is the one description of the format.  Validating a whole
expression tree against it with ``jsonschema`` costs about 1 ms per node (each
node tries every node type's ``if``), so :func:`validate` checks the top level
and then each node against *its own* definition, with the references to child
nodes cut to "an object with a node tag"; the walk itself then checks every
child against the kinds its slot allows.  The result is the same verdict as the
full schema (tests compare the two) at a fraction of the cost.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path as FilePath
from typing import Any

from rbts.dsl.errors import Diagnostic, RbtsError, Span
from rbts.dsl.json_positions import Path, json_path

_CATEGORIES = ("expr", "arg", "window", "statement", "node")
_CHILD = {"type": "object", "required": ["node"], "properties": {"node": {"type": "string"}}}


@lru_cache(maxsize=1)
def schema() -> dict:
    """The JSON Schema (draft 2020-12) of the JSON form."""
    local = FilePath(__file__).with_name("schema.json")
    text = local.read_text() if local.exists() else resources.files("rbts.dsl").joinpath("schema.json").read_text()
    return json.loads(text)


def _ref_category(part: Any) -> str | None:
    if isinstance(part, dict) and set(part) == {"$ref"}:
        name = part["$ref"].rsplit("/", 1)[-1]
        return name if name in _CATEGORIES else None
    return None


def _cut(part: Any) -> Any:
    """``part`` with every reference to a node category replaced by a shallow check."""
    if _ref_category(part):
        return _CHILD
    if isinstance(part, dict):
        return {k: _cut(v) for k, v in part.items() if k != "$defs"}
    if isinstance(part, list):
        return [_cut(v) for v in part]
    return part


def _ecma_pattern(validator, pattern: str, instance, schema):
    """JSON Schema's ``pattern`` with ECMA 262's ``$`` (the end of the text): Python's ``$`` also
    matches before a final newline, which let ``"5m\\n"`` through as a duration."""
    from jsonschema.exceptions import ValidationError

    if isinstance(instance, str) and not re.search(_python_regex(pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@lru_cache(maxsize=64)
def _python_regex(pattern: str) -> re.Pattern:
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


@lru_cache(maxsize=1)
def validator_class():
    """Draft 2020-12 with ECMA's ``$``: the one way Python reads ``dsl/schema.json`` (tests use it too)."""
    from jsonschema import Draft202012Validator, validators

    return validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})


class _Rules:
    """Per-tag shallow validators and, per tag, which child slots hold which category."""

    def __init__(self, full: dict):
        validator = validator_class()
        defs = full["$defs"]
        self.top = validator(_cut(full))
        self.allowed = {c: tuple(defs[c]["properties"]["node"]["enum"]) for c in _CATEGORIES}
        self.nodes = {tag: validator(_cut(defs[tag])) for tag in self.allowed["node"]}
        self.slots: dict[str, dict[str, tuple[str, bool]]] = {}  # tag -> field -> (category, is_list)
        for tag in self.allowed["node"]:
            slots = {}
            for key, prop in defs[tag]["properties"].items():
                if _ref_category(prop):
                    slots[key] = (_ref_category(prop), False)
                elif isinstance(prop, dict) and _ref_category(prop.get("items")):
                    slots[key] = (_ref_category(prop["items"]), True)
            self.slots[tag] = slots


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    return _Rules(schema())


# what each pattern of the schema asks for, in words
_PATTERN_MEANING = {
    "^[1-9][0-9]*[smhd]$": "a duration such as 30s, 5m, 1h or 1d",
    "^[0-9]{1,2}:[0-5][0-9]$": "a time of day such as 09:45",
    "^[a-z_][a-z0-9_]*$": "a name (lower-case letters, digits and _, not starting with a digit)",
    '^[^"\\x00-\\x1f\\x7f]*$': "a text without quotes or control characters",
    '^[^"\\x00-\\x1f\\x7f]*[^"\\s\\x00-\\x1f\\x7f][^"\\x00-\\x1f\\x7f]*$': "a ticker: AAPL, BRK.B, or a text without quotes or "
                                                            "control characters such as \"BRK B\"",
}


def _describe(error) -> str:
    if error.validator == "not" and isinstance(error.instance, str):
        return f"{error.instance!r} is a keyword and cannot be used as a name"
    if error.validator == "pattern" and error.validator_value in _PATTERN_MEANING:
        return f"{error.instance!r} is not {_PATTERN_MEANING[error.validator_value]}"
    return error.message


def _raise(error, prefix: Path, spans: dict[Path, Span]) -> None:
    path = prefix + tuple(error.absolute_path)
    known = path
    while known and known not in spans:
        known = known[:-1]
    raise RbtsError(Diagnostic(f"{json_path(path)}: {_describe(error)}", spans.get(known)))


def _check(validator, data, prefix: Path, spans: dict[Path, Span]) -> None:
    from jsonschema.exceptions import best_match

    error = best_match(validator.iter_errors(data))
    if error is not None:
        _raise(error, prefix, spans)


_MISSING = object()
_VALID_CACHE: set = set()
_CACHE_LIMIT = 100_000


def _project(value: Any):
    """What a node's shallow validator can see of ``value``: children only by their tag."""
    if isinstance(value, dict):
        tag = value.get("node", _MISSING)
        return ("dict", "<missing>" if tag is _MISSING else (type(tag).__name__, repr(tag)))
    if isinstance(value, list):
        return ("list", tuple(_project(v) for v in value))
    return (type(value).__name__, repr(value))


def _check_node(rules: _Rules, tag: str, node: dict, path: Path, spans: dict[Path, Span]) -> None:
    """Validate one node against its own definition; valid shapes are remembered
    (names, numbers and durations repeat a lot)."""
    key = (tag, tuple((k, _project(v)) for k, v in node.items()))
    if key in _VALID_CACHE:
        return
    _check(rules.nodes[tag], node, path, spans)
    if len(_VALID_CACHE) > _CACHE_LIMIT:
        _VALID_CACHE.clear()
    _VALID_CACHE.add(key)


def validate(data: Any, spans: dict[Path, Span] | None = None, max_depth: int = 200) -> None:
    """Raise a positioned RbtsError for the first schema violation of ``data`` (if any).

    ``spans`` (from :func:`rbts.dsl.json_positions.value_spans`) positions the error.
    """
    rules, spans = _rules(), spans or {}
    _check(rules.top, data, (), spans)
    stack = [(stmt, ("body", i), "statement", 0) for i, stmt in enumerate(data["body"])]
    while stack:
        node, path, category, depth = stack.pop()
        if depth > max_depth:
            raise RbtsError(Diagnostic(f"{json_path(path)}: nested more than {max_depth} levels deep", spans.get(path)))
        tag = node["node"]
        if tag not in rules.allowed[category]:
            where = path + ("node",)
            raise RbtsError(Diagnostic(
                f"{json_path(where)}: {tag!r} is not one of {list(rules.allowed[category])}", spans.get(where)))
        _check_node(rules, tag, node, path, spans)
        for key, (child_category, is_list) in rules.slots[tag].items():
            children = enumerate(node[key]) if is_list else [(None, node[key])]
            for index, child in children:
                child_path = path + ((key, index) if is_list else (key,))
                stack.append((child, child_path, child_category, depth + 1))
