"""Tokens -> literal values (numbers, durations, quoted text, times of day), each checked by the
rule JSON follows too (:mod:`rbts.dsl.limits`); a bad one raises :class:`NodeError` at its position."""

from __future__ import annotations

import re

from lark import Token

from rbts.dsl import ast, limits
from rbts.dsl.clock_text import parse_clock
from rbts.dsl.errors import Span


def tok_span(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column + len(tok))


def read_number(tok: Token) -> int | float:
    """A number literal by the rule JSON follows too (:func:`rbts.dsl.limits.literal_problem`)."""
    text = str(tok)
    whole = re.fullmatch(r"[0-9]+", text) is not None
    value = (int(text) if len(text) <= limits.MAX_INT_DIGITS else 0) if whole else float(text)
    problem = limits.literal_problem(text, value)
    if problem:
        raise NodeError(problem, tok_span(tok))
    return value


def read_signed(tok: Token) -> int | float:
    """A param's literal: NUMBER, or NEG_NUMBER (``-0.25``, the sign in the token)."""
    if tok.type != "NEG_NUMBER":
        return read_number(tok)
    digits = str(tok)[1:].lstrip(" \t")
    return -read_number(Token("NUMBER", digits, line=tok.line, column=tok.column, end_line=tok.end_line,
                          end_column=tok.end_column)) + 0


def read_whole_number(tok: Token, what: str) -> int:
    value = read_number(tok)
    if not isinstance(value, int) or value < 1:
        raise NodeError(f"{what} must be a whole number of at least 1, got {tok}", tok_span(tok))
    return value


def read_duration(tok: Token) -> ast.Duration:
    problem = limits.duration_literal_problem(str(tok))
    if problem:
        raise NodeError(problem, tok_span(tok))
    count, unit = int(str(tok)[:-1]), str(tok)[-1]
    if count == 0:
        raise NodeError(f"duration {tok} must be positive", tok_span(tok))
    return ast.Duration(count * ast.DURATION_UNITS[unit], span=tok_span(tok))


def read_quoted(tok: Token, what: str) -> str:
    """The text between the quotes; a control character (a tab ...) is an error at its column."""
    text = str(tok)[1:-1]
    found = limits.CONTROL_CHAR.search(text)
    if found:
        col = tok.column + 1 + found.start()
        raise NodeError(f"{what} cannot hold the control character {found.group()!r}", Span.point(tok.line, col))
    return text


def read_clock(tok: Token) -> int:
    try:
        return parse_clock(str(tok))
    except ValueError as exc:
        raise NodeError(str(exc), tok_span(tok)) from None


class NodeError(Exception):
    def __init__(self, message: str, span: Span | None):
        super().__init__(message)
        self.span = span
