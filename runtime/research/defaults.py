"""A strategy's text with new param defaults (best.rbts, the app's "Use these values").

Only the DEFAULT of each ``param NAME = DEFAULT in ...`` line changes; comments, layout and
every other line stay as they are.  The result is checked: it must load, with exactly those
defaults."""

from __future__ import annotations

import re
from collections.abc import Mapping

from rbts.dsl.errors import RbtsError
from rbts.runtime.research.space import json_value


def value_text(value: object) -> str:
    """A param value as it is written in the language (``12``, ``-0.3``, ``5m``, ``2%``)."""
    return str(json_value(value))


def with_defaults(text: str, values: Mapping[str, object]) -> str:
    out = text
    for name, value in values.items():
        pattern = re.compile(rf"^(\s*param\s+{re.escape(name)}\s*=\s*)(\S+?)(\s+in\b)", re.MULTILINE)
        out, count = pattern.subn(lambda m: m.group(1) + value_text(value) + m.group(3), out, count=1)
        if count != 1:
            raise RbtsError(f"param {name}: no `param {name} = ... in ...` line to set its default in")
    _check(out, values)
    return out


def _check(text: str, values: Mapping[str, object]) -> None:
    from rbts.runtime.research.tasks import load_source

    checked = load_source(text)
    params = getattr(checked, "params", None) or {}
    for name, value in values.items():
        domain = params.get(name)
        if domain is None or value_text(domain.default) != value_text(value):
            raise RbtsError(f"param {name}: could not set its default to {value_text(value)}")
