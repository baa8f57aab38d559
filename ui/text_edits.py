"""Builder edits applied to the strategy *text*, so the user's comments survive.

Each edit splices canonical statement lines (from :mod:`rbts.dsl.formatter`) into
the text at the edited statement's lines, then the whole text is formatted with
:func:`rbts.dsl.formatter.format_source`, which keeps comments.  The inputs are the
current text and the AST parsed from it (its spans say where each statement is).
"""

from __future__ import annotations

from rbts.dsl import ast
from rbts.dsl.formatter import format_source, format_statement, setting_lines


def _lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n") if text.strip() else []


def _finish(lines: list[str]) -> str:
    text = "\n".join(lines).rstrip("\n") + "\n"
    return format_source(text)


def _trailing_comment(line: str, end_col: int) -> str:
    """The ``# ...`` after a statement that ends at ``end_col`` (1-based, exclusive)."""
    rest = line[end_col - 1:]
    at = rest.find("#")
    return "  " + rest[at:].rstrip() if at >= 0 else ""


def _statement_range(stmt: ast.Node) -> tuple[int, int]:
    if stmt.span is None:
        raise ValueError("the statement has no position (was the AST parsed from this text?)")
    return stmt.span.line - 1, stmt.span.end_line - 1


def replace_statement(text: str, strategy: ast.Strategy, index: int, new: ast.Let | ast.Rule) -> str:
    """The text with body statement ``index`` replaced by ``new``."""
    lines = _lines(text)
    first, last = _statement_range(strategy.body[index])
    comment = _trailing_comment(lines[last], strategy.body[index].span.end_col)
    lines[first:last + 1] = [format_statement(new) + comment]
    return _finish(lines)


def delete_statement(text: str, strategy: ast.Strategy, index: int) -> str:
    lines = _lines(text)
    first, last = _statement_range(strategy.body[index])
    del lines[first:last + 1]
    return _finish(lines)


def insert_statement(text: str, strategy: ast.Strategy, new: ast.Let | ast.Rule) -> str:
    """Add ``new``: a let after the last let (before the first rule), a rule at the end."""
    lines = _lines(text)
    body = strategy.body
    if isinstance(new, ast.Let) and body:
        lets = [s for s in body if isinstance(s, ast.Let)]
        if lets:
            at = _statement_range(lets[-1])[1] + 1
        else:
            at = _statement_range(body[0])[0]
    elif body:
        at = _statement_range(body[-1])[1] + 1
    else:
        at = len(lines)
    lines.insert(at, format_statement(new))
    return _finish(lines)


def _setting_line_numbers(text: str, strategy: ast.Strategy) -> dict[str, int]:
    """0-based line of every written setting, keyed like :func:`setting_lines`."""
    s = strategy
    nodes = {
        "universe": s.universe[0] if s.universe else None, "capital": s.capital, "cycle": s.cycle,
        "bars": s.bars, "sizing": s.sizing, "order": s.order, "fees": s.fees,
        **{f"risk:{r.kind}": r for r in s.risks}, **{f"param:{p.name}": p for p in s.params},
    }
    out = {key: node.span.line - 1 for key, node in nodes.items() if node is not None and node.span}
    if s.name is not None:
        taken = set(out.values()) | {st.span.line - 1 for st in s.body if st.span}
        for number, line in enumerate(_lines(text)):
            if number not in taken and line.lstrip().startswith("strategy"):
                out["name"] = number
                break
    return out


def replace_settings(text: str, old: ast.Strategy, new: ast.Strategy) -> str:
    """The text with the settings of ``new`` (its body is ignored; ``old``'s stays)."""
    lines = _lines(text)
    where = _setting_line_numbers(text, old)
    before = dict(setting_lines(old))
    after = dict(setting_lines(new))
    removed: list[int] = []
    added: list[str] = []
    for key in before.keys() | after.keys():
        if before.get(key) == after.get(key):
            continue
        if key in after and key in where:
            line = lines[where[key]]
            code = line.split("#", 1)[0] if key != "name" else line
            comment = "  " + line[len(code):].rstrip() if key != "name" and "#" in line else ""
            lines[where[key]] = after[key] + comment
        elif key in after:
            added.append(after[key])
        elif key in where:
            removed.append(where[key])
    at = _settings_insert_at(lines, old, where)
    lines[at:at] = added  # format_source then puts settings in their canonical order
    for number in sorted(removed, reverse=True):
        del lines[number if number < at else number + len(added)]
    return _finish(lines)


def _settings_insert_at(lines: list[str], strategy: ast.Strategy, where: dict[str, int]) -> int:
    """Where new setting lines go: after the last setting, else above the first statement
    (and above the comment block that belongs to it), else at the end."""
    if where:
        return max(where.values()) + 1
    if strategy.body and strategy.body[0].span:
        at = strategy.body[0].span.line - 1
        while at > 0 and lines[at - 1].lstrip().startswith("#"):
            at -= 1
        return at
    return len(lines)
