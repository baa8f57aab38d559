"""The front door to the language: a strategy file, text or JSON form -> a checked strategy.

Everything that reads a strategy (the CLI, backtests, the live bot and its control, the
app) calls :func:`load_strategy`, so a strategy means the same everywhere and every
problem is an :class:`RbtsError` positioned in the text the user wrote.

- A ``Path`` is a file: ``.json`` holds the JSON form, anything else the language.
- A ``str`` is the text of a strategy: the JSON form when its ``filename`` ends in
  ``.json`` or it begins with ``{`` (after blanks; the language's text never does),
  otherwise the language.  A one-line string ending in ``.rbts``/``.json`` handed over
  without a ``filename`` is refused as a likely path mistake.
- A ``dict`` is an already-loaded JSON form.

Encoding (one rule for every file): UTF-8, and a leading byte-order mark is ignored
(``utf-8-sig``: editors on Windows write one; JSON's RFC 8259 lets readers ignore it).
Anything else is an error at the line and column of the first byte that is not UTF-8.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rbts.dsl.checked import CheckedStrategy, Origin
from rbts.dsl.errors import RbtsError, decode_text


decode = decode_text  # the text of a file's bytes, by the one encoding rule (a positioned error otherwise)


def read_text(path: Path) -> str:
    """The text of a strategy file; an RbtsError naming the file when it cannot be read."""
    filename = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise RbtsError(f"no such file: {path}", filename=filename) from None
    except IsADirectoryError:
        raise RbtsError(f"{path} is a folder, not a strategy file", filename=filename) from None
    except OSError as exc:
        raise RbtsError(f"cannot read {path}: {exc.strerror}", filename=filename) from None
    return decode(data, filename)


def is_json_text(text: str) -> bool:
    return text.lstrip(" \t\r\n\ufeff").startswith("{")


def load_strategy(source: Path | str | dict, *, overrides: Mapping[str, str] | None = None,
                  filename: str | None = None) -> CheckedStrategy:
    """Parse (or decode) and check a strategy; ``filename`` names a text in error messages.

    ``overrides`` maps param names to values as written (``{"fast": "12"}``), like
    ``--set fast=12``: :func:`rbts.dsl.params.bind`; an unknown name or a value outside
    the param's domain is an error naming the param.
    """
    from rbts.dsl.checker import check
    from rbts.dsl.json_form import from_json, recorded_name
    from rbts.dsl.parser import parse

    text, data, form = _read(source, filename)
    if isinstance(source, Path):
        filename = filename or str(source)
    try:
        if form == "json":
            strategy = from_json(text if text is not None else data, filename)
            name = recorded_name(text if text is not None else data)
        else:
            strategy, name = parse(text, filename), None
        checked = check(strategy, filename)
    except RbtsError as exc:
        raise exc.with_source(filename, text) from None
    checked.origin = Origin(filename, text, form, name)
    if overrides:
        from rbts.dsl.params import bind

        return bind(checked, overrides)
    return checked


def _read(source: Any, filename: str | None) -> tuple[str | None, dict | None, str]:
    """(text, JSON dict, form) of what was handed over."""
    if isinstance(source, Path):
        return read_text(source), None, ("json" if source.suffix.lower() == ".json" else "rbts")
    if isinstance(source, str):
        # a text named by the caller (an upload, the editor) is text whatever it holds: a file
        # holding just "my.rbts" gets the language's positioned answer, not advice for programmers
        if filename is None and "\n" not in source and source.strip().lower().endswith((".rbts", ".json")):
            raise RbtsError(f"{source.strip()!r} looks like a file name: a string is a strategy's text; "
                            "pass a Path to read a file", filename=filename)
        json_name = filename is not None and filename.lower().endswith(".json")
        return source, None, ("json" if json_name or is_json_text(source) else "rbts")
    if isinstance(source, dict):
        return None, source, "json"
    raise RbtsError(f"cannot load a strategy given as {type(source).__name__}", filename=filename)
