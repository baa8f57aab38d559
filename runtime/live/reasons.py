"""Short, printable reasons for the status, events and command results (never raw input)."""

from __future__ import annotations

from rbts.dsl.errors import RbtsError

MAX_REASON = 300


def reason_of(exc: BaseException) -> str:
    """``FILE:LINE:COL: error: MESSAGE`` of a user error (without the source excerpt, which may be a
    line of binary junk), or ``Type: message`` of any other error; printable and at most
    :data:`MAX_REASON` characters."""
    if isinstance(exc, RbtsError) and exc.diagnostics:
        first = exc.diagnostics[0].render(exc.filename, None)
        more = len(exc.diagnostics) - 1
        text = first + (f" (and {more} more)" if more else "")
    elif isinstance(exc, UnicodeDecodeError):
        text = f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return printable(text)


def printable(text: str, limit: int = MAX_REASON) -> str:
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text.replace("\n", " "))
    return text if len(text) <= limit else text[: limit - 3] + "..."
