"""Helpers shared by the command modules."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from rbts.dsl.errors import RbtsError

from rbts.runtime.settings import Settings, load_settings


def settings_from(ctx: typer.Context) -> Settings:
    home = (ctx.obj or {}).get("home") if ctx is not None else None
    return load_settings(home)


def check_out_dir(path: Path, flag: str) -> None:
    """Refuse, before any work is done, an output folder that cannot be one (an existing file,
    a path through a file, a folder we may not write in)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise RbtsError(f"{flag}: {path} is a file; give a folder for the results")
    parent = path
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise RbtsError(f"{flag}: {parent} is a file, so {path} cannot be a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise RbtsError(f"{flag}: no permission to write in {parent}")


def check_out_file(path: Path, flag: str) -> None:
    """Refuse, before any work is done, an output file path that is a folder or lies in none."""
    path = Path(path)
    if path.is_dir():
        raise RbtsError(f"{flag}: {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise RbtsError(f"{flag}: the folder {path.parent} does not exist")


def is_terminal() -> bool:
    return sys.stdout.isatty()


@contextmanager
def user_errors() -> Iterator[None]:
    """Print an RbtsError as ``FILE:LINE:COL: error: ...`` (with source and caret) and exit 1."""
    try:
        yield
    except RbtsError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(1) from None


SET_HELP = "Set a param: NAME=VALUE (repeatable), e.g. --set fast=12 --set tf=15m; the default stays in the file."


def parse_sets(values: list[str] | None) -> dict[str, str]:
    """``--set NAME=VALUE`` options -> ``{NAME: VALUE}``; a malformed or repeated one is a usage
    error (exit 2).  Whether NAME is a param and VALUE in its domain is the strategy's to say."""
    out: dict[str, str] = {}
    for item in values or ():
        name, eq, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name or not value:
            raise typer.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        if name in out:
            raise typer.BadParameter(f"{name} is set twice", param_hint="--set")
        out[name] = value
    return out
