"""Positions of JSON values by path (for positioned schema errors)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from rbts.dsl.errors import Span
from rbts.dsl.json_positions import json_path, value_spans


def test_spans_of_nested_values():
    text = '{\n  "a": [1, {"b": "x\\"y"}],\n  "é": null\n}'
    spans = value_spans(text)
    assert spans[()] == Span(1, 1, 4, 2)
    assert spans[("a",)] == Span(2, 8, 2, 26)
    assert spans[("a", 0)] == Span(2, 9, 2, 10)
    assert spans[("a", 1, "b")] == Span(2, 18, 2, 24)
    assert spans[("é",)] == Span(3, 8, 3, 12)


def test_empty_containers_and_whitespace():
    spans = value_spans(' \t[ {} , [ ] ]\r\n')
    assert spans[(0,)] == Span(1, 5, 1, 7) and spans[(1,)] == Span(1, 10, 1, 13)


def test_json_path_text():
    assert json_path(()) == "$"
    assert json_path(("body", 2, "cond", "left")) == "$.body[2].cond.left"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values, st.integers(0, 4))
def test_every_value_is_located_exactly(value, indent):
    text = json.dumps(value, indent=indent or None, ensure_ascii=False)
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def walk(v, path):
        span = spans[path]
        start = offsets[span.line - 1] + span.col - 1
        end = offsets[span.end_line - 1] + span.end_col - 1
        assert json.loads(text[start:end]) == v
        if isinstance(v, dict):
            for k, child in v.items():
                walk(child, path + (k,))
        elif isinstance(v, list):
            for i, child in enumerate(v):
                walk(child, path + (i,))

    spans = value_spans(text)
    walk(value, ())
