"""Canonical formatting that keeps a file's comments (``rbts fmt``).

The AST has no comments, so they are recovered from the source by line and
carried with the statement they belong to:

- a comment at the end of a statement's line stays at the end of its canonical
  line, at its old column when that still fits (users align them);
- comment lines directly above a statement move with it (settings are reordered);
- a comment block at the top followed by a blank line is the file's header;
- comments after the last statement stay at the end.

A blank line the user left between two body statements is kept (runs collapse to one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rbts.dsl import ast
from rbts.dsl.formatter import body_breaks, format_statement, format_strategy, setting_lines
from rbts.dsl.parser import parse


@dataclass
class _Line:
    code: str  # the line without its comment, right-stripped
    comment: str | None  # from '#' on, right-stripped
    comment_col: int  # 0-based column of '#'
    depth: int  # parentheses open at the start of the line


@dataclass
class _Slot:
    """One output statement and the comments that travel with it."""

    start: int  # 1-based source line of its first line
    end: int
    leading: list[str] = field(default_factory=list)
    trailing: str | None = None
    trailing_col: int = 0
    blank_before: bool = False


def _split_lines(text: str) -> list[_Line]:
    out, depth = [], 0
    for raw in text.split("\n"):  # the grammar ends lines at \n only (not \x0b, \u2028, ...)
        code, comment, col = raw, None, 0
        in_string = False
        for i, ch in enumerate(raw):
            if ch == '"':
                in_string = not in_string
            elif ch == "#" and not in_string:
                code, comment, col = raw[:i], raw[i:].rstrip(), i
                break
        out.append(_Line(code.rstrip(), comment, col, depth))
        depth = max(0, depth + code.count("(") + code.count("[") - code.count(")") - code.count("]"))
    return out


_SETTING_KEYS = {"strategy": "name", "universe": "universe", "capital": "capital", "cycle": "cycle",
                 "bars": "bars", "sizing": "sizing", "order": "order", "fees": "fees"}
_FIRST_WORD = re.compile(r"\s*([a-z_]+)")
_RISK = re.compile(r"\s*risk\s*:\s*([a-z_]+)")
_PARAM = re.compile(r"\s*param\s+([a-z_][a-z0-9_]*)")


def _statement_starts(lines: list[_Line]) -> tuple[dict[str, int], list[int]]:
    """(line of each setting by key, lines of the body statements in order).

    Outside parentheses a newline ends a statement, so every code line at depth 0
    starts one; its first word says which.
    """
    settings: dict[str, int] = {}
    body: list[int] = []
    for number, line in enumerate(lines, 1):
        if line.depth > 0 or not line.code.strip():
            continue
        word = _FIRST_WORD.match(line.code)
        key = _SETTING_KEYS.get(word.group(1)) if word else None
        if word and word.group(1) == "risk":
            risk = _RISK.match(line.code)
            key = f"risk:{risk.group(1)}" if risk else None
        if word and word.group(1) == "param":
            param = _PARAM.match(line.code)
            key = f"param:{param.group(1)}" if param else None
        if key is not None:
            settings.setdefault(key, number)
        else:
            body.append(number)
    return settings, body


def _extent(lines: list[_Line], start: int) -> int:
    end = start
    while end < len(lines) and lines[end].depth > 0:  # lines[end] is line end + 1
        end += 1
    return end


def format_with_comments(text: str, filename: str | None = None, strategy: ast.Strategy | None = None) -> str:
    """The canonical text of ``text`` with its comments kept.

    With ``strategy`` (an edited version of the text's AST, e.g. from the visual
    builder), that strategy is written instead, and each of its settings and
    statements keeps the comments of its counterpart in ``text``: the same setting,
    the let or named rule of the same name, else an identical statement.
    """
    old = parse(text, filename)
    new = old if strategy is None else strategy
    lines = _split_lines(text)
    old_settings = setting_lines(old)
    starts, body_starts = _statement_starts(lines)
    if None in [starts.get(key) for key, _ in old_settings] or len(body_starts) != len(old.body):
        return format_strategy(new)  # cannot happen for parsed text
    setting_slots = {key: _Slot(starts[key], starts[key]) for key, _ in old_settings}
    body_slots = [_Slot(n, _extent(lines, n)) for n in body_starts]
    header, trailer, trailer_gap = _attach(lines, [*setting_slots.values(), *body_slots])
    if body_slots:  # the blank line after the settings block belongs to no statement
        body_slots[0].blank_before = False
    settings = setting_lines(new)
    slots = [setting_slots.get(key, _Slot(0, 0)) for key, _ in settings]
    slots += body_slots if new is old else _match_body(old.body, body_slots, new.body)
    return _render(new, settings, slots, header, trailer, trailer_gap)


def _identity(stmt: ast.Let | ast.Rule) -> tuple | None:
    if isinstance(stmt, ast.Let):
        return ("let", stmt.name)
    return ("rule", stmt.name) if stmt.name is not None else None


def _match_body(old_body, old_slots: list[_Slot], new_body) -> list[_Slot]:
    """For each new statement, the slot (comments) of its counterpart in the old text."""
    free = list(range(len(old_body)))
    out = []
    for stmt in new_body:
        key = _identity(stmt)
        found = next((i for i in free if key is not None and _identity(old_body[i]) == key), None)
        if found is None:
            found = next((i for i in free if old_body[i] == stmt), None)
        if found is None:
            out.append(_Slot(0, 0))
        else:
            free.remove(found)
            out.append(old_slots[found])
    return out


def _attach(lines: list[_Line], slots: list[_Slot]) -> tuple[list[str], list[str], bool]:
    """Give every comment to a slot; returns (header, trailer, blank before trailer)."""
    owner: dict[int, _Slot] = {}
    for slot in slots:
        for number in range(slot.start, slot.end + 1):
            owner[number] = slot
    header: list[str] = []
    pending: list[str] = []
    blank_seen = pending_gap = False
    first = min((s.start for s in slots), default=len(lines) + 1)
    for number, line in enumerate(lines, 1):
        slot = owner.get(number)
        if slot is not None:
            if number == slot.start:
                slot.leading, pending = [c for c in pending if c], []
                slot.blank_before, blank_seen = blank_seen, False
            if line.comment is not None:
                if number == slot.end:
                    slot.trailing, slot.trailing_col = line.comment, line.comment_col
                else:  # inside a statement that will be joined onto one line
                    slot.leading.append(line.comment)
            continue
        if line.comment is None and not line.code:
            if number < first and pending and not header:
                header, pending = pending, []  # a top block followed by a blank line
            elif pending and pending[-1]:
                pending.append("")  # kept between comments of the trailer
            blank_seen = True
        elif line.comment is not None:
            if not pending:
                pending_gap = blank_seen
            pending.append(line.comment)
    while pending and not pending[-1]:
        pending.pop()
    return header, pending, pending_gap


def _with_trailing(code: str, slot: _Slot) -> str:
    if slot.trailing is None:
        return code
    column = slot.trailing_col if slot.trailing_col >= len(code) + 2 else len(code) + 2
    return code.ljust(column) + slot.trailing


def _render(strategy, settings, slots, header, trailer, trailer_gap) -> str:
    out: list[str] = []
    if header:
        out += header + [""]
    setting_slots, body_slots = slots[: len(settings)], slots[len(settings):]
    for (_, line), slot in zip(settings, setting_slots):
        out += slot.leading + [_with_trailing(line, slot)]
    switches = body_breaks(strategy.body)
    for i, (stmt, slot) in enumerate(zip(strategy.body, body_slots)):
        if (i == 0 and settings) or (i > 0 and (switches[i] or slot.blank_before)):
            out.append("")
        out += slot.leading + [_with_trailing(format_statement(stmt), slot)]
    if trailer:
        if out and out[-1] and trailer_gap:
            out.append("")
        out += trailer
    while out and not out[-1]:
        out.pop()
    while out and not out[0]:
        out.pop(0)
    return "\n".join(out) + "\n" if out else ""
