"""Helpers shared by the command modules."""

from __future__ import annotations

import sys

import typer

from rbts.runtime.settings import Settings, load_settings


def settings_from(ctx: typer.Context) -> Settings:
    home = (ctx.obj or {}).get("home") if ctx is not None else None
    return load_settings(home)


def is_terminal() -> bool:
    return sys.stdout.isatty()
