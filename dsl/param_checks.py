"""The checks of param declarations and of where params are used (SPEC §6.1).

Run before the strategy itself is checked for every value (:mod:`rbts.dsl.params`): each
domain is valid, each name is free, each use names a declared param and stands where a
literal of the param's kind may.  Every problem is collected and positioned.
"""

from __future__ import annotations

from rbts.dsl import ast
from rbts.dsl.errors import Diagnostic, DiagnosticBag, RbtsError
from rbts.dsl.param_domains import ParamDomain, domain_of
from rbts.dsl.param_refs import uses

_ARTICLE = {"number": "a number", "percent": "a percent", "duration": "a duration"}


def check_declarations(strategy: ast.Strategy, filename: str | None) -> dict[str, ParamDomain]:
    """name -> domain of every param; RbtsError with every problem of the declarations and uses."""
    from rbts.dsl.checker import RESERVED

    bag = DiagnosticBag()
    domains: dict[str, ParamDomain] = {}
    lets = {stmt.name: stmt for stmt in strategy.lets}
    seen: set[str] = set()
    for param in strategy.params:
        if param.name in seen:  # the parser reports this in text; a JSON form can hold it too
            bag.error(f"param {param.name} is declared twice", param.span)
            continue
        seen.add(param.name)
        if param.name in RESERVED:
            bag.error(f"cannot name a param {param.name!r}: it is {_what(param.name)}", param.span)
            continue
        if param.name in lets:
            bag.error(f"param {param.name}: the name is also a let (line {_line(lets[param.name])})", param.span)
            continue
        try:
            domains[param.name] = domain_of(param)
        except RbtsError as exc:
            for d in exc.diagnostics:
                bag.error(d.message, d.span, d.hint)
    declared = {p.name for p in strategy.params}
    for node, allowed, where in _slots(strategy):
        if not isinstance(node, ast.ParamRef):
            continue
        if node.name not in declared:
            bag.error(f"unknown param {node.name!r} in {where}", node.span,
                      f"declare it, e.g. `param {node.name} = ... in ...`, or write a value")
        elif node.name in domains and domains[node.name].kind not in allowed:
            kind = domains[node.name].kind
            bag.error(f"param {node.name} is {_ARTICLE[kind]}, but {where} needs "
                      f"{' or '.join(_ARTICLE[k] for k in allowed)}", node.span)
    if bag.errors:
        raise RbtsError(bag.errors, filename=filename)
    return domains


def declaration_warnings(strategy: ast.Strategy) -> list[Diagnostic]:
    """A param declared but never used is a warning (its variants would all be the same)."""
    used = {ref.name for ref in uses(strategy)}
    return [Diagnostic(f"param {p.name} is declared but never used", p.span, severity="warning")
            for p in strategy.params if p.name not in used]


def _slots(strategy: ast.Strategy):
    """(node, kinds allowed, what it is) of each place a settings or window param may stand."""
    s = strategy
    if s.sizing is not None and isinstance(s.sizing.value, ast.Node):
        yield s.sizing.value, ("number", "percent"), "sizing"
    if s.order is not None:
        yield s.order.offset, ("percent",), "the order offset"
        yield s.order.ttl, ("duration",), "the order ttl"
    for risk in s.risks:
        yield risk.percent, ("percent",), f"risk {risk.kind}"
    for stmt in s.body:
        for node in stmt.walk():
            if isinstance(node, (ast.Within, ast.For)):
                word = "within" if isinstance(node, ast.Within) else "for"
                yield node.window, ("duration",), f"the window of `{word}`"


def _what(name: str) -> str:
    from rbts.dsl.functions import FUNCTIONS

    return "a bar field" if name in ast.FIELDS else "a function" if name in FUNCTIONS else "a keyword"


def _line(node: ast.Node) -> int:
    return node.span.line if node.span else 0
