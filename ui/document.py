"""The strategy being edited: its text, its diagnostics, and the last valid version.

One :class:`Document` lives in the Streamlit session.  The editor and the builder
both change it through :meth:`Document.set_text`; an invalid text is kept (the user
is typing) but never replaces :attr:`Document.valid`, which the builder, the rule
charts and the backtest use, so no edit can throw the last valid strategy away.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rbts.dsl.checker import CheckedStrategy, diagnose
from rbts.dsl.errors import Diagnostic


def annotations(diagnostics: list[Diagnostic]) -> list[dict]:
    """Ace editor annotations (0-based rows/columns) for every positioned diagnostic."""
    out = []
    for d in diagnostics:
        line, col = (d.span.line, d.span.col) if d.span else (1, 1)
        text = d.message + (f" ({d.hint})" if d.hint else "")
        out.append({"row": max(0, line - 1), "column": max(0, col - 1), "type": d.severity, "text": text})
    return out


def markers(diagnostics: list[Diagnostic]) -> list[dict]:
    """Ace markers underlining each error's range."""
    out = []
    for d in diagnostics:
        if d.span is None or d.severity != "error":
            continue
        end_col = d.span.end_col if d.span.end_line > d.span.line or d.span.end_col > d.span.col else d.span.col + 1
        out.append({"startRow": d.span.line - 1, "startCol": d.span.col - 1, "endRow": d.span.end_line - 1,
                    "endCol": end_col - 1, "className": "rbts-error-marker", "type": "text"})
    return out


def describe(d: Diagnostic) -> str:
    """One readable line for the error list: ``line 3, col 7: message (hint)``."""
    where = f"line {d.span.line}, col {d.span.col}: " if d.span else ""
    return where + d.message + (f" — {d.hint}" if d.hint else "")


@dataclass
class Document:
    text: str
    valid: CheckedStrategy | None = None  # the last text that parsed and checked
    valid_text: str = ""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    editor_version: int = 0  # bumped when the text changes outside the editor (resets the widget)

    @classmethod
    def open(cls, text: str) -> Document:
        doc = cls(text="")
        doc.set_text(text, from_editor=False)
        return doc

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def is_valid(self) -> bool:
        """The current text is the valid one (no errors)."""
        return not self.errors and self.valid is not None and self.valid_text == self.text

    def set_text(self, text: str, *, from_editor: bool) -> bool:
        """Take a new text; returns whether it is valid.  Text from outside the editor
        (builder, import, open) also resets the editor widget to show it."""
        checked, diagnostics = diagnose(text)
        errors = [d for d in diagnostics if d.severity == "error"]
        self.text = text
        # With errors, warnings come from the lines that still parse ("no entry rule" when the
        # entry line is the broken one): they would mislead, so only errors are shown.
        self.diagnostics = errors or diagnostics
        if checked is not None and not errors:
            self.valid, self.valid_text = checked, text
        if not from_editor:
            self.editor_version += 1
        return checked is not None

    def revert(self) -> None:
        """Back to the last valid text."""
        if self.valid is not None:
            self.set_text(self.valid_text, from_editor=False)
