"""``rbts compile`` and ``rbts fmt``: the language on the command line (SPEC §3).

User errors raise :class:`RbtsError` (printed as ``FILE:LINE:COL: error: ...``,
exit 1); Typer/Click handle usage errors (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from rbts.dsl.errors import RbtsError
from rbts.runtime.cli.common import SET_HELP, parse_sets, user_errors
from rbts.runtime.files import atomic_write


def load_checked(path: Path, overrides: dict[str, str] | None = None):
    """A strategy file (.rbts or .json) through the front door, with ``--set`` overrides; its
    warnings go to stderr."""
    from rbts.dsl.load import load_strategy

    checked = load_strategy(path, overrides=overrides)
    for warning in checked.render_warnings():
        typer.echo(warning, err=True)
    return checked


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` atomically; a file system error is a user error (exit 1), not a traceback."""
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise RbtsError(f"cannot write {path}: {exc.strerror}") from None


def _graph(checked):
    """The compiler's indicator graph of a checked strategy."""
    from rbts.compiler.lowering import lower

    return lower(checked)


def compile_command(
    file: Path = typer.Argument(..., help="A strategy: .rbts text or its .json form.", metavar="FILE"),
    out: Path = typer.Option(None, "--out", "-o", help="Write to this file (atomically) instead of stdout."),
    graph: bool = typer.Option(False, "--graph", help="Print the indicator graph instead of the JSON form."),
    sets: list[str] = typer.Option(None, "--set", help=SET_HELP, metavar="NAME=VALUE"),
) -> None:
    """Parse and check a strategy; print its JSON form (or its indicator graph).

    Every setting is written out with its default resolved. Errors are printed as
    FILE:LINE:COL: error: MESSAGE with the source line, and exit with status 1.
    With --set, the JSON form holds the set values as the params' defaults.
    """
    overrides = parse_sets(sets)
    with user_errors():
        _compile(file, out, graph, overrides)


def _compile(file: Path, out: Path | None, graph: bool, overrides: dict[str, str] | None = None) -> None:
    from rbts.dsl.json_form import dumps

    checked = load_checked(file, overrides)
    if graph:
        built = _graph(checked)
        if out is not None and out.suffix.lower() == ".json":
            import json

            text = json.dumps(built.to_json(), indent=2) + "\n"
        else:
            text = built.to_text().rstrip("\n") + "\n"
    else:
        text = dumps(checked.json_form())  # a JSON file keeps the name recorded at export
    if out is None:
        sys.stdout.write(text)
    else:
        write_atomic(out, text)


def fmt_command(
    file: Path = typer.Argument(..., help="A .rbts strategy file.", metavar="FILE"),
    check: bool = typer.Option(False, "--check", help="Change nothing; exit 1 if the file is not formatted."),
) -> None:
    """Rewrite a strategy in canonical form, in place (comments are kept).

    Settings go first in a fixed order, then lets and rules in their order, with
    minimal parentheses. With --check, list the file and exit 1 if it would change.
    """
    with user_errors():
        _fmt(file, check)


def _fmt(file: Path, check: bool) -> None:
    from rbts.dsl.formatter import format_source
    from rbts.dsl.load import read_text

    if file.suffix.lower() == ".json":
        raise RbtsError(f"{file} is a JSON form; rbts fmt formats .rbts text (rbts compile reads JSON)")
    text = read_text(file)
    try:
        formatted = format_source(text, str(file))
    except RbtsError as exc:
        raise exc.with_source(str(file), text) from None
    if formatted == text:
        return
    if check:
        typer.echo(f"{file}: not formatted (run `rbts fmt {file}`)", err=True)
        raise typer.Exit(1)
    write_atomic(file, formatted)
    typer.echo(f"formatted {file}", err=True)


def register(app: typer.Typer) -> None:
    app.command("compile", no_args_is_help=True)(compile_command)
    app.command("fmt", no_args_is_help=True)(fmt_command)
