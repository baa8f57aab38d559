"""Text -> typed AST, with positioned errors (SPEC §2).

``parse(text)`` returns an :class:`~rbts.dsl.ast.Strategy` or raises
:class:`~rbts.dsl.errors.RbtsError` holding *every* syntax error of the file: after
an error the offending line is blanked and parsing resumes, so an editor can show
them all at once.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from rbts.dsl import ast, limits
from rbts.dsl.clock_text import parse_clock
from rbts.dsl.errors import Diagnostic, RbtsError, Span
from rbts.dsl.param_refs import resolve_param_refs

MAX_ERRORS = 50
MAX_NESTING = limits.MAX_DEPTH  # deeper expressions are an error, not a RecursionError


class _ParenNewlines:
    """Post-lexer: a newline inside open parentheses continues the line."""

    always_accept = ("_NL",)

    def process(self, stream):
        depth = 0
        for tok in stream:
            if tok.type in ("LPAR", "LSQB"):
                depth += 1
            elif tok.type in ("RPAR", "RSQB"):
                depth = max(0, depth - 1)
            elif tok.type == "_NL" and depth > 0:
                continue
            yield tok


def _grammar_text() -> str:
    local = Path(__file__).resolve().parent.parent / "grammar.lark"
    if local.exists():
        return local.read_text()
    return resources.files("rbts").joinpath("grammar.lark").read_text()  # installed wheel


@lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark(
        _grammar_text(),
        parser="lalr",
        lexer="contextual",
        postlex=_ParenNewlines(),
        maybe_placeholders=False,
        transformer=_ToAst(),
        cache=True,  # parser tables pickled in the temp dir: a cold `rbts compile` skips building them
    )


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


def _tok_span(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column + len(tok))


def _number(tok: Token) -> int | float:
    """A number literal by the rule JSON follows too (:func:`rbts.dsl.limits.literal_problem`)."""
    text = str(tok)
    whole = re.fullmatch(r"[0-9]+", text) is not None
    value = (int(text) if len(text) <= limits.MAX_INT_DIGITS else 0) if whole else float(text)
    problem = limits.literal_problem(text, value)
    if problem:
        raise _NodeError(problem, _tok_span(tok))
    return value


def _signed(tok: Token) -> int | float:
    """A param's literal: NUMBER, or NEG_NUMBER (``-0.25``, the sign in the token)."""
    if tok.type != "NEG_NUMBER":
        return _number(tok)
    digits = str(tok)[1:].lstrip(" \t")
    return -_number(Token("NUMBER", digits, line=tok.line, column=tok.column, end_line=tok.end_line,
                          end_column=tok.end_column)) + 0


def _int(tok: Token, what: str) -> int:
    value = _number(tok)
    if not isinstance(value, int) or value < 1:
        raise _NodeError(f"{what} must be a whole number of at least 1, got {tok}", _tok_span(tok))
    return value


def _duration(tok: Token) -> ast.Duration:
    problem = limits.duration_literal_problem(str(tok))
    if problem:
        raise _NodeError(problem, _tok_span(tok))
    count, unit = int(str(tok)[:-1]), str(tok)[-1]
    if count == 0:
        raise _NodeError(f"duration {tok} must be positive", _tok_span(tok))
    return ast.Duration(count * ast.DURATION_UNITS[unit], span=_tok_span(tok))


def _quoted_text(tok: Token, what: str) -> str:
    """The text between the quotes; a control character (a tab ...) is an error at its column."""
    text = str(tok)[1:-1]
    found = limits.CONTROL_CHAR.search(text)
    if found:
        col = tok.column + 1 + found.start()
        raise _NodeError(f"{what} cannot hold the control character {found.group()!r}", Span.point(tok.line, col))
    return text


def _clock(tok: Token) -> int:
    try:
        return parse_clock(str(tok))
    except ValueError as exc:
        raise _NodeError(str(exc), _tok_span(tok)) from None


class _NodeError(Exception):
    def __init__(self, message: str, span: Span | None):
        super().__init__(message)
        self.span = span


@v_args(wrapper=_with_span)
class _ToAst(Transformer):
    """Lark tree -> AST nodes; settings are collected into a Strategy at the end."""

    # -- statements: returned as (kind, node) pairs, assembled in ``start``
    def start(self, meta, items):
        return _assemble(items)

    def strategy_name(self, meta, items):
        return ("name", _quoted_text(items[0], "a strategy name"), _span(meta))

    def universe(self, meta, items):
        return ("universe", tuple(items), _span(meta))

    def capital(self, meta, items):
        return ("capital", ast.Number(_number(items[0]), span=_tok_span(items[0])), _span(meta))

    def cycle(self, meta, items):
        return ("cycle", _duration(items[0]), _span(meta))

    def bars(self, meta, items):
        return ("bars", _duration(items[0]), _span(meta))

    def sizing(self, meta, items):
        return ("sizing", items[0], _span(meta))

    def sizing_equal(self, meta, items):
        return ast.Sizing("equal", span=_span(meta))

    def sizing_percent(self, meta, items):
        return ast.Sizing("percent", _number(items[0]), span=_span(meta))

    def sizing_fixed(self, meta, items):
        return ast.Sizing("fixed", _number(items[0]), span=_span(meta))

    def order(self, meta, items):
        return ("order", items[0], _span(meta))

    def order_market(self, meta, items):
        return ast.Order("market", span=_span(meta))

    def order_limit(self, meta, items):
        ttl = items[1] if len(items) > 1 else None
        return ast.Order("limit", items[0], ttl, span=_span(meta))

    def offset_percent(self, meta, items):
        return ast.Percent(_number(items[0]), span=_tok_span(items[0]))

    def param_ref(self, meta, items):
        return ast.ParamRef(str(items[0]), span=_tok_span(items[0]))

    def sizing_param(self, meta, items):
        return ast.Sizing("fixed", ast.ParamRef(str(items[0]), span=_tok_span(items[0])), span=_span(meta))

    def risk_param(self, meta, items):
        kind, name = items
        ref = ast.ParamRef(str(name), span=_tok_span(name))
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
        return ast.Number(_signed(items[0]), span=_span(meta))

    def param_percent(self, meta, items):
        return ast.Percent(_signed(items[0]), span=_span(meta))

    def param_duration(self, meta, items):
        return _duration(items[0])

    def ttl_duration(self, meta, items):
        return _duration(items[0])

    def ttl_cycles(self, meta, items):
        return ast.BarCount(_int(items[0], "a ttl in cycles"), span=_span(meta))

    def risk(self, meta, items):
        kind, value = items
        return ("risk", ast.Risk(str(kind), ast.Percent(_number(value), span=_tok_span(value)), span=_span(meta)), _span(meta))

    def fees(self, meta, items):
        return ("fees", ast.Percent(_number(items[0]), span=_tok_span(items[0])), _span(meta))

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
        start, end = _clock(items[0]), _clock(items[1])
        if start == end:
            raise _NodeError("time between needs two different times", _span(meta))
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
        return ast.Number(_number(items[0]), span=_span(meta))

    def percent(self, meta, items):
        return ast.Percent(_number(items[0]), span=_span(meta))

    def name(self, meta, items):
        return ast.Name(str(items[0]), span=_span(meta))

    def symbol(self, meta, items):
        return ast.Symbol(str(items[0]), span=_span(meta))

    def quoted_symbol(self, meta, items):
        text = _quoted_text(items[0], "a quoted symbol")
        if not text.strip():
            raise _NodeError("a quoted symbol cannot be empty", _span(meta))
        return ast.Symbol(text, span=_span(meta))

    def call(self, meta, items):
        func, *args = items
        return ast.Call(str(func), tuple(args), span=_span(meta))

    def duration(self, meta, items):
        return _duration(items[0])

    def bar_count(self, meta, items):
        return ast.BarCount(_int(items[0], "a bar count"), span=_span(meta))


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


# ----------------------------------------------------------------------------- errors

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
        pattern = _lark().get_terminal(term).pattern
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


def _syntax_diagnostic(exc: UnexpectedInput, text: str) -> Diagnostic:
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


# ----------------------------------------------------------------------------- entry points


def parse(text: str, filename: str | None = None) -> ast.Strategy:
    """Parse a whole strategy; raises RbtsError with every syntax error found."""
    strategy, diagnostics = parse_partial(text)
    if diagnostics:
        raise RbtsError(diagnostics, filename=filename, source=text)
    return strategy


def parse_partial(text: str) -> tuple[ast.Strategy | None, list[Diagnostic]]:
    """Parse with recovery: (the AST of the lines that parse, all syntax errors).

    The editor uses this to check the rest of a file while one line is broken.
    """
    if "\x00" in text:
        text = text.replace("\x00", " ")
        return None, [Diagnostic("the file contains NUL bytes (is it a text file?)", Span.point(1, 1))]
    too_large = limits.source_problem(len(text), "text")
    if too_large:
        return None, [Diagnostic(too_large, Span.point(1, 1))]
    source = text if text.endswith("\n") else text + "\n"
    diagnostics: list[Diagnostic] = []
    lines = source.split("\n")
    for _ in range(MAX_ERRORS):
        try:
            strategy = _lark().parse("\n".join(lines))
            _check_depth(strategy)
            return strategy, diagnostics
        except UnexpectedInput as exc:
            diag = _syntax_diagnostic(exc, "\n".join(lines))
        except VisitError as exc:
            inner = exc.orig_exc
            if isinstance(inner, _NodeError):
                diag = Diagnostic(str(inner), inner.span)
            elif isinstance(inner, RbtsError):
                diagnostics.extend(inner.diagnostics)
                return None, diagnostics
            else:
                raise
        except _NodeError as exc:
            diag = Diagnostic(str(exc), exc.span)
        except RbtsError as exc:  # duplicate settings, found when the statements are assembled
            diagnostics.extend(exc.diagnostics)
            return None, diagnostics
        except RecursionError:
            diagnostics.append(Diagnostic("expression nested too deeply", Span.point(1, 1)))
            return None, diagnostics
        diagnostics.append(diag)
        line_no = diag.span.line if diag.span else 1
        if not _blank_statement(lines, line_no):
            break
    return None, diagnostics


def _blank_statement(lines: list[str], line_no: int) -> bool:
    """Blank the statement on ``line_no`` (and its continuation lines) so parsing can resume."""
    index = min(max(line_no, 1), len(lines)) - 1
    open_before = _open_before(lines, index)
    while index > 0 and open_before[index] > 0:
        index -= 1  # the error is inside a continued statement: blank from its first line
    if not lines[index].strip():
        return False
    depth = 0
    while index < len(lines):
        depth += _paren_delta(lines[index])
        lines[index] = ""
        index += 1
        if depth <= 0:
            break
    return True


def _paren_delta(line: str) -> int:
    code = line.split("#", 1)[0]
    return code.count("(") + code.count("[") - code.count(")") - code.count("]")  # a param list may span lines


def _open_before(lines: list[str], last: int) -> list[int]:
    """The parentheses still open at the start of each line up to ``last``, in one pass
    (walking back over a long continued statement stays linear)."""
    depths, depth = [], 0
    for line in lines[: last + 1]:
        depths.append(depth)
        depth = max(0, depth + _paren_delta(line))
    return depths


def _check_depth(strategy: ast.Strategy) -> None:
    """Reject absurd nesting, so that recursive visitors never hit Python's limit."""
    for stmt in strategy.body:
        stack = [(stmt, 0)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_NESTING:
                raise _NodeError(f"expression nested more than {MAX_NESTING} levels deep", node.span or stmt.span)
            stack.extend((child, depth + 1) for child in node.children())
