"""Text -> typed AST, with positioned errors (SPEC §2).

``parse(text)`` returns an :class:`~rbts.dsl.ast.Strategy` or raises
:class:`~rbts.dsl.errors.RbtsError` holding *every* syntax error of the file: after
an error the offending line is blanked and parsing resumes, so an editor can show
them all at once.  The grammar and its parser are in :mod:`rbts.dsl.grammar`, tokens to
literals in :mod:`rbts.dsl.literals`, the tree to AST nodes in :mod:`rbts.dsl.to_ast`, and
syntax errors in words in :mod:`rbts.dsl.syntax_errors`.
"""

from __future__ import annotations

from lark.exceptions import UnexpectedInput, VisitError

from rbts.dsl import ast, limits
from rbts.dsl.errors import Diagnostic, RbtsError, Span
from rbts.dsl.grammar import lark_parser
from rbts.dsl.literals import NodeError
from rbts.dsl.syntax_errors import syntax_diagnostic

MAX_ERRORS = 50
MAX_NESTING = limits.MAX_DEPTH  # deeper expressions are an error, not a RecursionError


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
            strategy = lark_parser().parse("\n".join(lines))
            _check_depth(strategy)
            return strategy, diagnostics
        except UnexpectedInput as exc:
            diag = syntax_diagnostic(exc, "\n".join(lines))
        except VisitError as exc:
            inner = exc.orig_exc
            if isinstance(inner, NodeError):
                diag = Diagnostic(str(inner), inner.span)
            elif isinstance(inner, RbtsError):
                diagnostics.extend(inner.diagnostics)
                return None, diagnostics
            else:
                raise
        except NodeError as exc:
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
                raise NodeError(f"expression nested more than {MAX_NESTING} levels deep", node.span or stmt.span)
            stack.extend((child, depth + 1) for child in node.children())
