"""The checker's part for the limits every strategy keeps, whichever form it came in
(:mod:`rbts.dsl.limits`; docs/language.md, "Limits"): names, symbols, durations, bar counts,
the number of statements and tickers. Text and JSON build the same AST, so checking the
AST once makes the two forms agree on what is valid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rbts.dsl import ast, limits
from rbts.dsl.errors import Span

if TYPE_CHECKING:
    from rbts.dsl.checker import Checker


def check_limits(c: Checker) -> None:
    s = c.s
    if s.name is not None and len(s.name) > limits.MAX_STRATEGY_NAME:
        c.err(f"the strategy name is longer than {limits.MAX_STRATEGY_NAME} characters", Span.point(1, 1))
    if len(s.body) > limits.MAX_STATEMENTS:
        extra = s.body[limits.MAX_STATEMENTS]
        c.err(f"the strategy has {len(s.body):,} lets and rules; at most {limits.MAX_STATEMENTS:,}", extra)
    if s.universe and len(s.universe) > limits.MAX_UNIVERSE:
        c.err(f"the universe has {len(s.universe):,} tickers; at most {limits.MAX_UNIVERSE}", s.universe[limits.MAX_UNIVERSE])
    for stmt in s.body:
        if isinstance(stmt, ast.Let) or stmt.name is not None:
            what = "let" if isinstance(stmt, ast.Let) else "rule"
            problem = limits.name_problem(stmt.name, what)
            if problem:
                c.err(problem, stmt)
    _check_leaves(c, s)


def _check_leaves(c: Checker, s: ast.Strategy) -> None:
    """Every symbol, duration and bar count of the strategy, settings included (an explicit
    stack: the tree may be as deep as the forms allow)."""
    stack: list[ast.Node] = list(s.children())
    ttl = s.order.ttl if s.order is not None else None
    while stack:
        node = stack.pop()
        problem = None
        if isinstance(node, ast.Symbol):
            problem = limits.symbol_problem(node.name)
        elif isinstance(node, ast.Duration):
            problem = limits.duration_problem(node.seconds, node.text)
        elif isinstance(node, ast.BarCount) and node is ttl:
            problem = limits.bars_problem(node.count, "cycles", "the ttl")
        elif isinstance(node, ast.BarCount):
            problem = limits.bars_problem(node.count, "bars", "this window")
        if problem:
            c.err(problem, node)
        stack.extend(node.children())
