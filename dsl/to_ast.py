"""Lark tree -> AST nodes (:class:`ToAst`, run inside the LALR parser), each with its span, and
the statements assembled into a :class:`~rbts.dsl.ast.Strategy` (settings set twice are errors)."""

from __future__ import annotations

from lark import Token, Transformer, v_args

from rbts.dsl import ast
from rbts.dsl.errors import Diagnostic, RbtsError, Span
from rbts.dsl.literals import (NodeError, read_clock, read_duration, read_number, read_quoted, read_signed,
                               read_whole_number, tok_span)
from rbts.dsl.param_refs import resolve_param_refs


def _span(span: Span | None) -> Span | None:
    """Callbacks receive the span of their children (see ``_with_span``)."""
    return span


def _child_span(child) -> Span | None:
    if isinstance(child, Token):
        return Span(child.line, child.column, child.end_line or child.line, child.end_column or child.column)
    if isinstance(child, tuple):  # a statement: (kind, node, span)
        return child[2]
    return getattr(child, "span", None)


def _with_span(f, _data, children, _meta):
    """Lark visit wrapper: call ``f(span, children)`` with the span covering the children.

    The transformer runs inside the LALR parser (no parse tree is built: twice as
    fast), where Lark offers no meta; anonymous tokens such as keywords and
    parentheses are not children, so a span starts at the first named token.
    """
    first = last = None
    for child in children:
        first = _child_span(child)
        if first is not None:
            break
    for child in reversed(children):
        last = _child_span(child)
        if last is not None:
            break
    span = None
    if first is not None and last is not None:
        span = Span(first.line, first.col, last.end_line, last.end_col)
    return f(span, children)


@v_args(wrapper=_with_span)
class ToAst(Transformer):
    """Lark tree -> AST nodes; settings are collected into a Strategy at the end."""

    # -- statements: returned as (kind, node) pairs, assembled in ``start``
    def start(self, meta, items):
        return _assemble(items)

    def strategy_name(self, meta, items):
        return ("name", read_quoted(items[0], "a strategy name"), _span(meta))

    def universe(self, meta, items):
        return ("universe", tuple(items), _span(meta))

    def capital(self, meta, items):
        return ("capital", ast.Number(read_number(items[0]), span=tok_span(items[0])), _span(meta))

    def cycle(self, meta, items):
        return ("cycle", read_duration(items[0]), _span(meta))

    def bars(self, meta, items):
        return ("bars", read_duration(items[0]), _span(meta))

    def sizing(self, meta, items):
        return ("sizing", items[0], _span(meta))

    def sizing_equal(self, meta, items):
        return ast.Sizing("equal", span=_span(meta))

    def sizing_percent(self, meta, items):
        return ast.Sizing("percent", read_number(items[0]), span=_span(meta))

    def sizing_fixed(self, meta, items):
        return ast.Sizing("fixed", read_number(items[0]), span=_span(meta))

    def order(self, meta, items):
        return ("order", items[0], _span(meta))

    def order_market(self, meta, items):
        return ast.Order("market", span=_span(meta))

    def order_limit(self, meta, items):
        ttl = items[1] if len(items) > 1 else None
        return ast.Order("limit", items[0], ttl, span=_span(meta))

    def offset_percent(self, meta, items):
        return ast.Percent(read_number(items[0]), span=tok_span(items[0]))

    def param_ref(self, meta, items):
        return ast.ParamRef(str(items[0]), span=tok_span(items[0]))

    def sizing_param(self, meta, items):
        return ast.Sizing("fixed", ast.ParamRef(str(items[0]), span=tok_span(items[0])), span=_span(meta))

    def risk_param(self, meta, items):
        kind, name = items
        ref = ast.ParamRef(str(name), span=tok_span(name))
        return ("risk", ast.Risk(str(kind), ref, span=_span(meta)), _span(meta))

    # -- params (SPEC §6.1)
    def param(self, meta, items):
        name, default, domain = items
        return ("param", ast.Param(str(name), default, domain, span=_span(meta)), _span(meta))

    def param_range(self, meta, items):
        low, high, *step = items
        return ast.ParamRange(low, high, step[0] if step else None, span=_span(meta))

    def param_list(self, meta, items):
        return ast.ParamList(tuple(items), span=_span(meta))

    def param_number(self, meta, items):
        return ast.Number(read_signed(items[0]), span=_span(meta))

    def param_percent(self, meta, items):
        return ast.Percent(read_signed(items[0]), span=_span(meta))

    def param_duration(self, meta, items):
        return read_duration(items[0])

    def ttl_duration(self, meta, items):
        return read_duration(items[0])

    def ttl_cycles(self, meta, items):
        return ast.BarCount(read_whole_number(items[0], "a ttl in cycles"), span=_span(meta))

    def risk(self, meta, items):
        kind, value = items
        return ("risk", ast.Risk(str(kind), ast.Percent(read_number(value), span=tok_span(value)), span=_span(meta)), _span(meta))

    def fees(self, meta, items):
        return ("fees", ast.Percent(read_number(items[0]), span=tok_span(items[0])), _span(meta))

    def let(self, meta, items):
        return ("body", ast.Let(str(items[0]), items[1], span=_span(meta)), _span(meta))

    def rule(self, meta, items):
        scope = str(items[0])
        name = str(items[1]) if len(items) == 3 else None
        return ("body", ast.Rule(scope, name, items[-1], span=_span(meta)), _span(meta))

    # -- conditions
    def or_(self, meta, items):
        return ast.Or(items[0], items[1], span=_span(meta))

    def and_(self, meta, items):
        return ast.And(items[0], items[1], span=_span(meta))

    def not_(self, meta, items):
        return ast.Not(items[0], span=_span(meta))

    def within(self, meta, items):
        return ast.Within(items[0], items[1], span=_span(meta))

    def for_(self, meta, items):
        return ast.For(items[0], items[1], span=_span(meta))

    def compare(self, meta, items):
        return ast.Compare(items[1], items[0], items[2], span=_span(meta))

    def cross(self, meta, items):
        return ast.Cross(items[1], items[0], items[2], span=_span(meta))

    def cross_above(self, meta, items):
        return "above"

    def cross_below(self, meta, items):
        return "below"

    def cross_any(self, meta, items):
        return "any"

    def between(self, meta, items):
        return ast.Between(items[0], items[1], items[2], span=_span(meta))

    def time_in(self, meta, items):
        return ast.TimeIn(str(items[0]), span=_span(meta))

    def time_between(self, meta, items):
        start, end = read_clock(items[0]), read_clock(items[1])
        if start == end:
            raise NodeError("time between needs two different times", _span(meta))
        return ast.TimeBetween(start, end, span=_span(meta))

    # -- expressions
    def comp_op(self, meta, items):
        return str(items[0])

    add_op = mul_op = comp_op

    def binop(self, meta, items):
        return ast.BinOp(items[1], items[0], items[2], span=_span(meta))

    def neg(self, meta, items):
        return ast.Neg(items[0], span=_span(meta))

    def number(self, meta, items):
        return ast.Number(read_number(items[0]), span=_span(meta))

    def percent(self, meta, items):
        return ast.Percent(read_number(items[0]), span=_span(meta))

    def name(self, meta, items):
        return ast.Name(str(items[0]), span=_span(meta))

    def symbol(self, meta, items):
        return ast.Symbol(str(items[0]), span=_span(meta))

    def quoted_symbol(self, meta, items):
        text = read_quoted(items[0], "a quoted symbol")
        if not text.strip():
            raise NodeError("a quoted symbol cannot be empty", _span(meta))
        return ast.Symbol(text, span=_span(meta))

    def call(self, meta, items):
        func, *args = items
        return ast.Call(str(func), tuple(args), span=_span(meta))

    def duration(self, meta, items):
        return read_duration(items[0])

    def bar_count(self, meta, items):
        return ast.BarCount(read_whole_number(items[0], "a bar count"), span=_span(meta))


_SINGLE = ("name", "universe", "capital", "cycle", "bars", "sizing", "order", "fees")


def _assemble(items) -> ast.Strategy:
    values: dict = {}
    first_line: dict[str, int] = {}
    risks: dict[str, ast.Risk] = {}
    body = []
    errors: list[Diagnostic] = []
    params: dict[str, ast.Param] = {}
    for kind, node, span in items:
        if kind == "body":
            body.append(node)
        elif kind == "param":
            if node.name in params:
                errors.append(Diagnostic(f"param {node.name} is declared twice (first on line {params[node.name].span.line})",
                                         span))
            params[node.name] = node
        elif kind == "risk":
            if node.kind in risks:
                errors.append(Diagnostic(f"risk {node.kind} is set twice (first on line {risks[node.kind].span.line})", span))
            risks[node.kind] = node
        elif kind in values:
            label = "strategy name" if kind == "name" else kind
            errors.append(Diagnostic(f"{label} is set twice (first on line {first_line[kind]})", span))
        else:
            values[kind] = node
            first_line[kind] = span.line if span else 0
    if errors:
        raise RbtsError(errors)
    ordered = tuple(sorted(risks.values(), key=lambda r: ast.RISK_KINDS.index(r.kind)))
    strategy = ast.Strategy(**values, risks=ordered, params=tuple(params.values()), body=tuple(body), span=Span(1, 1, 1, 1))
    return resolve_param_refs(strategy)
