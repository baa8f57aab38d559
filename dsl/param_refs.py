"""Rewriting the AST around params (SPEC §6.1): finding their uses, replacing them.

:func:`resolve_param_refs` runs after parsing (text and JSON alike): a name that is a
declared param becomes a :class:`~rbts.dsl.ast.ParamRef`, and ``sizing: NAME`` takes the
param's kind (a percent param sizes by a fraction of equity, a number by USD).
:func:`rewrite` is the one tree rewriter; :func:`rbts.dsl.params.instantiate` uses it to
put bound values in place of the uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace

from rbts.dsl import ast


def rewrite(node: ast.Node, fn: Callable[[ast.Node], ast.Node | None]) -> ast.Node:
    """``node`` rebuilt bottom-up, each node replaced by ``fn(node)`` unless that is None.

    Subtrees that do not change are kept as they are (same objects).
    """
    changes = {}
    for f in fields(node):
        if f.name == "span":
            continue
        value = getattr(node, f.name)
        if isinstance(value, ast.Node):
            new = rewrite(value, fn)
            if new is not value:
                changes[f.name] = new
        elif isinstance(value, tuple) and any(isinstance(v, ast.Node) for v in value):
            new_items = tuple(rewrite(v, fn) if isinstance(v, ast.Node) else v for v in value)
            if any(a is not b for a, b in zip(new_items, value)):
                changes[f.name] = new_items
    if changes:
        node = replace(node, **changes)
    out = fn(node)
    return node if out is None else out


def resolve_param_refs(strategy: ast.Strategy) -> ast.Strategy:
    """Names of declared params -> ParamRef; ``sizing: NAME`` gets the param's kind."""
    if not strategy.params and not _has_refs(strategy):
        return strategy
    kinds = {p.name: p.kind for p in strategy.params}

    def to_ref(node: ast.Node) -> ast.Node | None:
        if isinstance(node, ast.Name) and node.name in kinds:
            return ast.ParamRef(node.name, span=node.span)
        return None

    body = tuple(rewrite(stmt, to_ref) for stmt in strategy.body)
    sizing = strategy.sizing
    if sizing is not None and isinstance(sizing.value, ast.ParamRef):
        kind = "percent" if kinds.get(sizing.value.name) == "percent" else "fixed"
        sizing = replace(sizing, kind=kind)
    return replace(strategy, body=body, sizing=sizing)


def _has_refs(strategy: ast.Strategy) -> bool:
    return any(isinstance(node, ast.ParamRef) for node in setting_refs(strategy))


def setting_refs(strategy: ast.Strategy) -> list[ast.Node]:
    """The nodes of the settings that may be a param use (sizing, order offset and ttl, risks)."""
    s = strategy
    out: list[ast.Node] = []
    if s.sizing is not None and isinstance(s.sizing.value, ast.Node):
        out.append(s.sizing.value)
    if s.order is not None:
        out += [n for n in (s.order.offset, s.order.ttl) if n is not None]
    out += [r.percent for r in s.risks]
    return out


def uses(strategy: ast.Strategy) -> list[ast.ParamRef]:
    """Every param use, settings first, then the body in source order."""
    found = [n for n in setting_refs(strategy) if isinstance(n, ast.ParamRef)]
    for stmt in strategy.body:
        found += [n for n in stmt.walk() if isinstance(n, ast.ParamRef)]
    return found
