"""The builder's Parameters section without Streamlit: ``param`` lines (SPEC §6.1) added,
changed and deleted in the document's text, so the code editor always shows them.

A parameter is written as the language writes it (``param fast = 9 in 5..20``): the form's
three texts are read by the language's own parser and domain check, so the builder accepts
exactly what the code editor accepts, with the same messages.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rbts.dsl import ast
from rbts.dsl.errors import RbtsError
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


def number_params(strategy: ast.Strategy) -> tuple[str, ...]:
    """The parameters a numeric input of a rule may use (kind ``number``), in declaration order."""
    return tuple(p.name for p in strategy.params if p.kind == "number")
