"""A Lark syntax error -> a :class:`~rbts.dsl.errors.Diagnostic` a user can act on: what was
expected in words, the unclosed parenthesis a statement ran on from, and hints for the common
mistakes (keywords in upper case, Unicode digits, chained comparisons, a param counting bars)."""

from __future__ import annotations

import re

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from rbts.dsl import ast
from rbts.dsl.errors import Diagnostic, Span
from rbts.dsl.grammar import lark_parser


_READABLE = {
    "_NL": "end of line", "$END": "end of file", "LPAR": "'('", "RPAR": "')'", "COMMA": "','",
    "COLON": "':'", "EQUAL": "'='", "PERCENT": "'%'", "NUMBER": "a number", "NAME": "a name",
    "SYMBOL": "a symbol", "STRING": "a quoted string", "DURATION": "a duration such as 5m",
    "CLOCK": "a time such as 09:45", "SESSION": "RTH or ETH", "SCOPE": "global, entry or exit",
    "RISK_KIND": "max_daily_loss, stop_loss, take_profit, trailing_stop or broker_stop", "BARS": "bars",
    "CYCLES": "cycles", "MINUS": "'-'", "PLUS": "'+'", "STAR": "'*'", "SLASH": "'/'",
    "LESSTHAN": "'<'", "MORETHAN": "'>'", "LESSEQUAL": "'<='", "MOREEQUAL": "'>='",
    "CROSS_ABOVE": "crosses_above", "CROSS_BELOW": "crosses_below", "LSQB": "'['", "RSQB": "']'",
    "NEG_NUMBER": "a negative number",
}


_KEYWORDS = {
    "strategy", "universe", "capital", "cycle", "bars", "sizing", "order", "risk", "fees", "let",
    "global", "entry", "exit", "and", "or", "not", "within", "for", "between", "time", "in",
    "crosses", "crosses_above", "crosses_below", "equal", "limit", "market", "ttl", "param", "step",
}


def _readable(term: str) -> str:
    if term in _READABLE:
        return _READABLE[term]
    try:
        pattern = lark_parser().get_terminal(term).pattern
        if pattern.type == "str":
            return repr(pattern.value).replace('"', "'")
    except (KeyError, AttributeError):
        pass
    return term.lower()


def _describe_token(tok: Token) -> str:
    if tok.type == "_NL":
        return "end of line"
    if tok.type == "$END":
        return "end of file"
    return f"'{tok}'"


def syntax_diagnostic(exc: UnexpectedInput, text: str) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else "?"
        hint = None
        if char.isdigit():  # ٩, ², ...: Python reads them as digits, the language does not
            hint = "numbers are written with the digits 0-9"
        elif char.isupper() or char.islower():
            hint = "symbols are upper case (or quoted), names and keywords lower case"
        return Diagnostic(f"unexpected character {char!r}", Span.point(exc.line, exc.column), hint=hint)
    tok = getattr(exc, "token", None)
    expected = sorted({_readable(t) for t in getattr(exc, "expected", ()) or ()})
    if tok is None or isinstance(exc, UnexpectedEOF) or tok.type == "$END":
        last = text[:-1] if text.endswith("\n") else text  # the parsed text always ends with a newline
        line = last.count("\n") + 1
        return Diagnostic(f"unexpected end of file; expected {_join(expected)}", Span.point(line, 1))
    opened = _unclosed_paren(text, tok.line or 1, tok.column or 1)
    if opened is not None and opened[0] < (tok.line or 1):
        return Diagnostic("'(' is never closed", Span.point(*opened),
                          hint="a statement continues on the next line while a parenthesis is open")
    message = f"unexpected {_describe_token(tok)}"
    hint = None
    word = re.match(r"[A-Za-z_]\w*", text.split("\n")[tok.line - 1][tok.column - 1:]) if tok.line else None
    if word and word.group(0).lower() in _KEYWORDS and word.group(0) != word.group(0).lower():
        hint = f"keywords are lower case: `{word.group(0).lower()}`"
    before = re.search(r"([a-z_][a-z0-9_]*)\s*$", text.split("\n")[tok.line - 1][: tok.column - 1]) if tok.line else None
    if str(tok) in ("bars", "bar", "cycles", "cycle") and before and before.group(1) not in _KEYWORDS | {
            "bars", "bar", "cycles", "cycle"}:
        hint = ("a bar count is a whole number such as `3 bars`; a param cannot count bars or cycles: "
                "use a duration param (`param w = 15m in [5m, 15m]` ... `within w`), or a number param where a "
                "function takes a number of bars, as prev does")
    if str(tok) in ("<", "<=", ">", ">=", "crosses_above", "crosses_below", "crosses") and _after_comparison(exc):
        message = "comparisons do not chain"
        hint = "use `x between a and b`, or join two comparisons with `and`"
    if expected and not message.startswith("comparisons"):
        message += f"; expected {_join(expected)}"
    line = tok.line or 1
    col = tok.column or 1
    end_col = tok.end_column if tok.type != "_NL" and tok.end_column else col + 1
    return Diagnostic(message, Span(line, col, line, end_col), hint=hint)


def _unclosed_paren(text: str, line: int, col: int) -> tuple[int, int] | None:
    """Position of the innermost '(' still open before (line, col), if any."""
    stack: list[tuple[int, int]] = []
    for i, row in enumerate(text.split("\n")[:line], start=1):
        code = row if i < line else row[: col - 1]
        in_string = False
        for j, ch in enumerate(code, start=1):
            if ch == '"':
                in_string = not in_string
            elif in_string:
                continue
            elif ch == "#":
                break
            elif ch == "(":
                stack.append((i, j))
            elif ch == ")" and stack:
                stack.pop()
    return stack[-1] if stack else None


def _after_comparison(exc: UnexpectedToken) -> bool:
    state = getattr(exc, "state", None)
    try:
        stack = exc.interactive_parser.parser_state.value_stack
    except AttributeError:
        return True
    return state is None or any(
        isinstance(v, (ast.Compare, ast.Cross, ast.Between))
        or (isinstance(v, str) and v in ("<", "<=", ">", ">=", "above", "below", "any"))
        for v in stack
    )


def _join(items: list[str]) -> str:
    if len(items) > 6:
        items = items[:6] + ["..."]
    return ", ".join(items) if items else "something else"
