"""The builder's Parameters section without Streamlit: ``param`` lines (SPEC §6.1) added,
changed and deleted in the document's text, so the code editor always shows them.

A parameter is written as the language writes it (``param fast = 9 in 5..20``): the form's
texts (:class:`ParamForm`: a kind, a default, a range or a list) become that line, which the
language's own parser and domain check read, so the builder accepts exactly what the code
editor accepts, with the same messages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from rbts.dsl import ast
from rbts.dsl.errors import RbtsError
from rbts.dsl.formatter import format_param_literal
from rbts.dsl.param_domains import domain_of
from rbts.dsl.param_refs import uses
from rbts.dsl.parser import parse
from rbts.ui.text_edits import replace_settings

_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def param_node(name: str, default: str, domain: str) -> ast.Param:
    """``param NAME = DEFAULT in DOMAIN`` from the form's texts; ValueError saying what is wrong."""
    name, default, domain = name.strip(), default.strip(), domain.strip()
    if not _NAME.fullmatch(name):
        raise ValueError(f"parameter name {name!r}: use lower-case letters, digits and _")
    if not default or not domain:
        raise ValueError(f"param {name}: give a default and the values it may take (e.g. 5..20 or [5, 9, 13])")
    line = f"param {name} = {default} in {domain}"
    try:
        (param,) = parse(f"universe: A\n{line}\n").params
        domain_of(param)
    except RbtsError as exc:
        raise ValueError(f"`{line}`: {exc.diagnostics[0].message}") from None
    return param


KINDS = ("number", "percent", "duration")


@dataclass(frozen=True)
class ParamForm:
    """The Parameters form: a kind, a default and the domain, a range (from, to, step) or a
    list. A percent may be typed with or without its ``%``; a duration as the language
    writes it (``5m``)."""

    name: str = ""
    kind: str = "number"  # number | percent | duration
    default: str = ""
    shape: str = "range"  # range | list
    low: str = ""
    high: str = ""
    step: str = ""  # "" = none (an integer range steps by 1)
    values: str = ""  # the list, comma separated

    def domain_text(self) -> str:
        if self.shape == "list":
            items = [v for v in self.values.replace("[", "").replace("]", "").split(",") if v.strip()]
            return f"[{', '.join(self._value(v) for v in items)}]" if items else ""
        if not self.low.strip() or not self.high.strip():
            return ""
        step = f" step {self._value(self.step)}" if self.step.strip() else ""
        return f"{self._value(self.low)}..{self._value(self.high)}{step}"

    def node(self) -> ast.Param:
        """The ``param`` line this form writes; ValueError saying what is wrong."""
        param = param_node(self.name, self._value(self.default), self.domain_text())
        if param.kind != self.kind:
            raise ValueError(f"param {param.name}: {format_param_literal(param.default)} is a {param.kind}, "
                             f"not a {self.kind} (pick the kind {param.kind}, or write a {self.kind})")
        return param

    def _value(self, text: str) -> str:
        text = text.strip()
        if self.kind == "percent" and text and not text.endswith("%"):
            return f"{text}%"
        return text


def param_form(param: ast.Param) -> ParamForm:
    """The form that writes ``param`` (to change it)."""
    dom = param.domain
    common = dict(name=param.name, kind=param.kind, default=_plain(param.default))
    if isinstance(dom, ast.ParamList):
        return ParamForm(**common, shape="list", values=", ".join(_plain(v) for v in dom.values))
    step = _plain(dom.step) if dom.step is not None else ""
    return ParamForm(**common, low=_plain(dom.low), high=_plain(dom.high), step=step)


def _plain(node: ast.Node) -> str:
    """A literal as the form shows it: a percent without its % (the field says %)."""
    return format_param_literal(node).removesuffix("%")


def add_param(text: str, strategy: ast.Strategy, param: ast.Param) -> str:
    """The text with a new parameter; ValueError when the name is taken."""
    if any(p.name == param.name for p in strategy.params):
        raise ValueError(f"param {param.name} exists already: change it with its edit button")
    return with_param(text, strategy, param)


def with_param(text: str, strategy: ast.Strategy, param: ast.Param) -> str:
    """The text with ``param`` added, or replacing the parameter of the same name (in place)."""
    names = [p.name for p in strategy.params]
    params = list(strategy.params)
    if param.name in names:
        params[names.index(param.name)] = param
    else:
        params.append(param)
    return replace_settings(text, strategy, replace(strategy, params=tuple(params)))


def without_param(text: str, strategy: ast.Strategy, name: str) -> str:
    """The text without parameter ``name``; ValueError while something uses it."""
    if name in used_params(strategy):
        raise ValueError(f"param {name} is used by the strategy: replace its uses first")
    params = tuple(p for p in strategy.params if p.name != name)
    return replace_settings(text, strategy, replace(strategy, params=params))


def used_params(strategy: ast.Strategy) -> set[str]:
    return {ref.name for ref in uses(strategy)}


def param_kinds(strategy: ast.Strategy) -> dict[str, str]:
    """name -> kind of every parameter, in declaration order (what the inputs may offer)."""
    return {p.name: p.kind for p in strategy.params}


def of_kind(params: Mapping[str, str], *kinds: str) -> tuple[str, ...]:
    """The parameters an input taking ``kinds`` may use, in declaration order."""
    return tuple(name for name, kind in params.items() if kind in kinds)
