"""Positioned user errors.

Every problem a user can cause (bad syntax, a failed check, a broken JSON file,
a bad CSV row, no data for a ticker) is an :class:`RbtsError`.  The CLI prints
it as ``FILE:LINE:COL: error: MESSAGE`` plus the source line and a caret and
exits with status 1; the UI turns its diagnostics into editor annotations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache


@dataclass(frozen=True, order=True)
class Span:
    """A source range: 1-based lines and columns, ``end_col`` exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int

    @classmethod
    def point(cls, line: int, col: int) -> Span:
        return cls(line, col, line, col + 1)

    def cover(self, other: Span | None) -> Span:
        """The smallest span holding both."""
        if other is None:
            return self
        start = min((self.line, self.col), (other.line, other.col))
        end = max((self.end_line, self.end_col), (other.end_line, other.end_col))
        return Span(start[0], start[1], end[0], end[1])


@dataclass(frozen=True)
class Diagnostic:
    message: str
    span: Span | None = None
    severity: str = "error"  # "error" | "warning"
    hint: str | None = None

    def render(self, filename: str | None = None, source: str | None = None) -> str:
        where = filename
        if self.span is not None:
            where = f"{filename or '<input>'}:{self.span.line}:{self.span.col}"
        text = f"{where}: {self.severity}: {self.message}" if where else f"{self.severity}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        snippet = _snippet(source, self.span)
        return f"{text}\n{snippet}" if snippet else text


SNIPPET_WIDTH = 100  # columns of source shown under a diagnostic
_SHOWN_AS_SPACE = re.compile(r"[\x00-\x1f\x7f]")  # tabs and other control characters


def _snippet(source: str | None, span: Span | None) -> str:
    if source is None or span is None:
        return ""
    lines = source_lines(source)
    if not 1 <= span.line <= len(lines):
        return ""
    line = _SHOWN_AS_SPACE.sub(" ", lines[span.line - 1].rstrip("\r"))  # one column each, like the parser counts
    col = span.col
    width = span.end_col - span.col if span.end_line == span.line else len(line) - span.col + 1
    if len(line) > SNIPPET_WIDTH:  # a long line (minified JSON): the part around the caret, so output stays small
        start = max(0, min(col - 1 - SNIPPET_WIDTH // 3, len(line) - SNIPPET_WIDTH))
        shown = line[start : start + SNIPPET_WIDTH]
        line = ("..." if start else "") + shown + ("..." if start + SNIPPET_WIDTH < len(line) else "")
        col = col - start + (3 if start else 0)
    caret = " " * (col - 1) + "^" + "~" * max(0, min(width, len(line) - col + 1) - 1)
    return f"    {line}\n    {caret}"


@lru_cache(maxsize=8)
def source_lines(source: str) -> tuple[str, ...]:
    """The lines of a source as positions count them (split at "\n" only, as the parser does).
    Cached: rendering N diagnostics of one file splits it once, not N times."""
    return tuple(source.split("\n"))


class RbtsError(Exception):
    """A user error with one or more diagnostics (never a Python traceback)."""

    def __init__(
        self,
        diagnostics: Diagnostic | str | Iterable[Diagnostic],
        *,
        filename: str | None = None,
        source: str | None = None,
    ) -> None:
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic(diagnostics)]
        elif isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = sorted(
            diagnostics, key=lambda d: (d.span is None, d.span or Span(0, 0, 0, 0))
        )
        self.filename = filename
        self.source = source
        super().__init__(self.diagnostics[0].message if self.diagnostics else "error")

    def with_source(self, filename: str | None, source: str | None) -> RbtsError:
        """The same error, attached to a file (for rendering)."""
        return RbtsError(
            self.diagnostics,
            filename=self.filename or filename,
            source=self.source if self.source is not None else source,
        )

    def render(self) -> str:
        return "\n".join(d.render(self.filename, self.source) for d in self.diagnostics)

    def __str__(self) -> str:
        return self.render()


@dataclass
class DiagnosticBag:
    """Collects diagnostics so a checker can report all of a file's errors."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, message: str, span: Span | None, hint: str | None = None) -> None:
        self.items.append(Diagnostic(message, span, "error", hint))

    def warning(self, message: str, span: Span | None, hint: str | None = None) -> None:
        self.items.append(Diagnostic(message, span, "warning", hint))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise RbtsError(self.errors)


def decode_text(data: bytes, filename: str | None = None) -> str:
    """UTF-8 bytes (a BOM is dropped) as text; a bad byte is an RbtsError at its line and column."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line_start = before.rfind(b"\n") + 1
        line = before.count(b"\n") + 1
        col = len(before[line_start:].decode("utf-8-sig", errors="replace")) + 1
        shown = data.decode("utf-8-sig", errors="replace")
        message = f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot start or continue a character (is it a text file?)"
        raise RbtsError(Diagnostic(message, Span.point(line, col)), filename=filename, source=shown) from None
