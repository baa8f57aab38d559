"""Helpers shared by the command modules."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from rbts.dsl.errors import RbtsError

from rbts.runtime.settings import Settings, load_settings


def settings_from(ctx: typer.Context) -> Settings:
    home = (ctx.obj or {}).get("home") if ctx is not None else None
    return load_settings(home)


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
