"""Where each value of a JSON text is: ``{path: Span}`` for positioned errors.

Python's ``json`` module gives no positions, so this re-walks an already valid
JSON text, reusing ``json``'s own scanners for strings and scalars.
"""

from __future__ import annotations

import bisect
import json
from json.decoder import scanstring

from rbts.dsl.errors import Span

# positions only: any number (even one int() refuses) is skipped without being converted
_DECODER = json.JSONDecoder(parse_int=lambda _text: 0, parse_float=lambda _text: 0.0, parse_constant=lambda _text: 0)
_WS = " \t\n\r"

Path = tuple[str | int, ...]


class _Walker:
    def __init__(self, text: str):
        self.text = text
        self.line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        self.spans: dict[Path, Span] = {}

    def pos(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def skip(self, i: int) -> int:
        while i < len(self.text) and self.text[i] in _WS:
            i += 1
        return i

    def value(self, i: int, path: Path) -> int:
        """Record the span of the value at ``i`` (and its children); return its end."""
        start = i = self.skip(i)
        ch = self.text[i]
        if ch == "{":
            i = self.members(i + 1, path)
        elif ch == "[":
            i = self.items(i + 1, path)
        else:
            _, i = _DECODER.raw_decode(self.text, i)
        self.spans[path] = Span(*self.pos(start), *self.pos(i))
        return i

    def members(self, i: int, path: Path) -> int:
        i = self.skip(i)
        if self.text[i] == "}":
            return i + 1
        while True:
            i = self.skip(i)
            key, i = scanstring(self.text, i + 1)
            i = self.value(self.skip(i) + 1, path + (key,))  # past the ':'
            i = self.skip(i)
            if self.text[i] == "}":
                return i + 1
            i += 1  # the ','

    def items(self, i: int, path: Path) -> int:
        i = self.skip(i)
        if self.text[i] == "]":
            return i + 1
        index = 0
        while True:
            i = self.skip(self.value(i, path + (index,)))
            index += 1
            if self.text[i] == "]":
                return i + 1
            i += 1


def value_spans(text: str) -> dict[Path, Span]:
    """Spans of every value in ``text`` (which must be valid JSON), keyed by path."""
    walker = _Walker(text)
    try:
        walker.value(0, ())
    except (ValueError, IndexError, RecursionError):
        pass  # partial positions are still useful
    return walker.spans


def json_path(path: Path) -> str:
    """``$.body[2].cond.left`` for error messages."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
