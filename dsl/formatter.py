"""AST -> canonical text (SPEC §2.6).

``format_strategy(ast)`` writes settings first, in the order of the SPEC §2.1 table,
then one blank line, then lets and rules in source order (a blank line where the
body switches between lets and rules).  Expressions get the fewest parentheses the
grammar's precedence allows, so ``parse(format_strategy(s)) == s`` for every AST
the parser can produce, and formatting is idempotent.

``format_source(text)`` does the same for a file but keeps its comments (see
:mod:`rbts.dsl.comments`); ``rbts fmt`` uses it.
"""

from __future__ import annotations

import math
import re

from rbts.dsl import ast
from rbts.dsl.clock_text import format_clock
from rbts.dsl.dispatch import Backend

# Binding strength, loosest first (SPEC §2.2).  An operand printed where a tighter
# level is required gets parentheses.
OR, AND, NOT, TEMPORAL, COMPARISON, SUM, PRODUCT, UNARY, ATOM = range(1, 10)

_PLAIN_SYMBOL = re.compile(r"[A-Z][A-Z0-9]*(\.[A-Z0-9]+)*")
_UNQUOTABLE = re.compile(r'["\x00-\x1f\x7f]')  # quotes and control characters
_CROSS_WORD = {"above": "crosses_above", "below": "crosses_below", "any": "crosses"}


# ----------------------------------------------------------------------------- leaves


def format_number(value: int | float) -> str:
    """Shortest text that reads back as exactly ``value`` (ints stay ints)."""
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError(f"{value} has no text form")
    return repr(float(value) + 0.0)  # the shortest text that reads back exactly; -0.0 is 0.0, as JSON reads it


def format_symbol(name: str) -> str:
    """``AAPL`` / ``BRK.B`` as written; anything else quoted (``"BRK B"``)."""
    if _PLAIN_SYMBOL.fullmatch(name):
        return name
    if _UNQUOTABLE.search(name):
        raise ValueError(f"symbol {name!r} cannot be written in the language")
    return f'"{name}"'


def format_string(text: str) -> str:
    if _UNQUOTABLE.search(text):
        raise ValueError(f"{text!r} cannot be written as a quoted string")
    return f'"{text}"'


def format_window(window: ast.Duration | ast.BarCount | ast.ParamRef, unit: str = "bar") -> str:
    """``5m`` or ``3 bars`` (``1 bar``); ``unit="cycle"`` for an order's ttl; a param's name."""
    if isinstance(window, ast.Duration):
        return window.text
    if isinstance(window, ast.ParamRef):
        return window.name
    return f"{window.count} {unit}{'' if window.count == 1 else 's'}"


def format_percent(percent: ast.Percent | ast.ParamRef) -> str:
    if isinstance(percent, ast.ParamRef):
        return percent.name
    return f"{format_number(percent.value)}%"


def format_param_literal(node: ast.Number | ast.Percent | ast.Duration) -> str:
    """A param's default or domain bound: ``-0.25``, ``2%``, ``5m`` (a sign written as such)."""
    if isinstance(node, ast.Duration):
        return node.text
    text = format_number(node.value + 0 if isinstance(node.value, float) else node.value)  # never "-0.0"
    return f"{text}%" if isinstance(node, ast.Percent) else text


def format_param(param: ast.Param) -> str:
    """``param NAME = DEFAULT in LO..HI [step S]`` or ``... in [V1, V2, ...]``."""
    dom = param.domain
    if isinstance(dom, ast.ParamList):
        domain = f"[{', '.join(format_param_literal(v) for v in dom.values)}]"
    else:
        domain = f"{format_param_literal(dom.low)}..{format_param_literal(dom.high)}"
        if dom.step is not None:
            domain += f" step {format_param_literal(dom.step)}"
    return f"param {param.name} = {format_param_literal(param.default)} in {domain}"


# ----------------------------------------------------------------------------- expressions


def format_expr(node: ast.Node) -> str:
    """Canonical text of any expression or condition, e.g. ``ema(close, 9, 5m)``.

    The trace CSV names its columns with it, so it must never change for a given AST.
    """
    return _PRINTER.visit(node)[0]


def _at(node: ast.Node, level: int) -> str:
    """``node`` as an operand needing at least ``level``; parenthesised if looser."""
    text, own = _PRINTER.visit(node)
    return text if own >= level else f"({text})"


class _Printer(Backend):
    """``on_<Node>`` returns (text, level): the text and how tightly it binds."""

    def on_Number(self, n: ast.Number):
        text = format_number(n.value)
        # A negative literal only comes from hand-built ASTs; it reads back as unary minus.
        return text, (UNARY if text.startswith("-") else ATOM)

    def on_Percent(self, n: ast.Percent):
        return format_percent(n), ATOM

    def on_Name(self, n: ast.Name):
        return n.name, ATOM

    def on_ParamRef(self, n: ast.ParamRef):
        return n.name, ATOM

    def on_Symbol(self, n: ast.Symbol):
        return format_symbol(n.name), ATOM

    def on_Duration(self, n: ast.Duration):
        return n.text, ATOM

    def on_BarCount(self, n: ast.BarCount):
        return format_window(n), ATOM

    def on_Call(self, n: ast.Call):
        args = (format_window(a) if isinstance(a, (ast.Duration, ast.BarCount)) else self.visit(a)[0] for a in n.args)
        return f"{n.func}({', '.join(args)})", ATOM

    def on_Neg(self, n: ast.Neg):
        return f"-{_at(n.operand, UNARY)}", UNARY

    def on_BinOp(self, n: ast.BinOp):
        level = SUM if n.op in "+-" else PRODUCT
        # Left-associative: the right operand must bind tighter than the operator.
        return f"{_at(n.left, level)} {n.op} {_at(n.right, level + 1)}", level

    def on_Compare(self, n: ast.Compare):
        return f"{_at(n.left, SUM)} {n.op} {_at(n.right, SUM)}", COMPARISON

    def on_Cross(self, n: ast.Cross):
        return f"{_at(n.left, SUM)} {_CROSS_WORD[n.direction]} {_at(n.right, SUM)}", COMPARISON

    def on_Between(self, n: ast.Between):
        return f"{_at(n.value, SUM)} between {_at(n.low, SUM)} and {_at(n.high, SUM)}", COMPARISON

    def on_TimeIn(self, n: ast.TimeIn):
        return f"time in {n.session}", COMPARISON

    def on_TimeBetween(self, n: ast.TimeBetween):
        return f"time between {format_clock(n.start)} and {format_clock(n.end)}", COMPARISON

    def on_Within(self, n: ast.Within):
        return f"{_at(n.cond, TEMPORAL)} within {format_window(n.window)}", TEMPORAL

    def on_For(self, n: ast.For):
        return f"{_at(n.cond, TEMPORAL)} for {format_window(n.window)}", TEMPORAL

    def on_Not(self, n: ast.Not):
        return f"not {_at(n.operand, NOT)}", NOT

    def on_And(self, n: ast.And):
        return f"{_at(n.left, AND)} and {_at(n.right, AND + 1)}", AND

    def on_Or(self, n: ast.Or):
        return f"{_at(n.left, OR)} or {_at(n.right, OR + 1)}", OR


_PRINTER = _Printer()


# ----------------------------------------------------------------------------- statements


def format_sizing(sizing: ast.Sizing) -> str:
    if sizing.kind == "equal":
        return "equal"
    if isinstance(sizing.value, ast.ParamRef):
        return sizing.value.name
    suffix = "%" if sizing.kind == "percent" else ""
    return f"{format_number(sizing.value)}{suffix}"


def format_order(order: ast.Order) -> str:
    if order.kind == "market":
        return "market"
    text = "limit"
    if order.offset is not None:
        text += f" {format_percent(order.offset)}"
    if order.ttl is not None:
        text += f" ttl {format_window(order.ttl, 'cycle')}"
    return text


def setting_lines(strategy: ast.Strategy) -> list[tuple[str, str]]:
    """``(key, line)`` for every written setting, in the SPEC §2.1 order.

    ``key`` is the setting's name (``risk:stop_loss`` for a risk line), which
    :mod:`rbts.dsl.comments` uses to carry comments along with their line.
    """
    s = strategy
    out: list[tuple[str, str]] = []
    if s.name is not None:
        out.append(("name", f"strategy {format_string(s.name)}"))
    if s.universe is not None:
        out.append(("universe", f"universe: {', '.join(format_symbol(x.name) for x in s.universe)}"))
    if s.capital is not None:
        out.append(("capital", f"capital: {format_number(s.capital.value)}"))
    if s.cycle is not None:
        out.append(("cycle", f"cycle: {s.cycle.text}"))
    if s.bars is not None:
        out.append(("bars", f"bars: {s.bars.text}"))
    if s.sizing is not None:
        out.append(("sizing", f"sizing: {format_sizing(s.sizing)}"))
    if s.order is not None:
        out.append(("order", f"order: {format_order(s.order)}"))
    for risk in sorted(s.risks, key=lambda r: ast.RISK_KINDS.index(r.kind)):
        out.append((f"risk:{risk.kind}", f"risk: {risk.kind} {format_percent(risk.percent)}"))
    if s.fees is not None:
        out.append(("fees", f"fees: {format_percent(s.fees)}"))
    for param in s.params:  # after the settings, before the lets (SPEC §6.1)
        out.append((f"param:{param.name}", format_param(param)))
    return out


def format_statement(stmt: ast.Let | ast.Rule) -> str:
    """One body line: ``let NAME = EXPR`` or ``SCOPE [NAME]: COND``."""
    if isinstance(stmt, ast.Let):
        return f"let {stmt.name} = {format_expr(stmt.expr)}"
    label = stmt.scope if stmt.name is None else f"{stmt.scope} {stmt.name}"
    return f"{label}: {format_expr(stmt.cond)}"


def body_breaks(body: tuple[ast.Let | ast.Rule, ...]) -> list[bool]:
    """For each body statement: does a blank line go before it (lets <-> rules switch)?"""
    return [i > 0 and isinstance(stmt, ast.Let) != isinstance(body[i - 1], ast.Let) for i, stmt in enumerate(body)]


def format_strategy(strategy: ast.Strategy) -> str:
    """The canonical text of a strategy (ends with a newline; empty for an empty AST)."""
    lines = [line for _, line in setting_lines(strategy)]
    body = strategy.body
    if lines and body:
        lines.append("")
    for stmt, blank in zip(body, body_breaks(body)):
        if blank:
            lines.append("")
        lines.append(format_statement(stmt))
    return "\n".join(lines) + "\n" if lines else ""


def format_source(text: str, filename: str | None = None, strategy: ast.Strategy | None = None) -> str:
    """Parse ``text`` and return its canonical form, keeping its comments.

    With ``strategy`` (an edited AST of ``text``, e.g. from the visual builder) that
    strategy is written, each statement keeping the comments of its counterpart.
    """
    from rbts.dsl.comments import format_with_comments

    return format_with_comments(text, filename, strategy)
