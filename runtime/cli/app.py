"""The ``rbts`` command: a Typer app; each command group lives in its own module.

User errors (:class:`RbtsError`) print ``FILE:LINE:COL: error: ...`` to stderr and
exit 1; usage errors exit 2 (Click's convention); nothing else reaches the user
as a traceback unless ``RBTS_DEBUG=1``.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from rbts.dsl.errors import RbtsError

app = typer.Typer(
    name="rbts",
    help="Rule-Based Trading Strategies: write rules, trace them, backtest them, run them live.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Each module defines register(app); they import their heavy dependencies lazily.
COMMAND_MODULES = ("language", "data", "trace", "backtest", "report", "sweep", "live", "ui", "alerts", "service")


@app.callback()
def _root(
    ctx: typer.Context,
    home: str = typer.Option(None, "--home", help="Home folder (default: $RBTS_HOME or ./.rbts)."),
) -> None:
    ctx.obj = {"home": home}


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"rbts.runtime.cli.{_name}")
    except ModuleNotFoundError as exc:  # a command group not written yet
        if exc.name != f"rbts.runtime.cli.{_name}":
            raise
        continue
    _module.register(app)


def fail(error: RbtsError) -> None:
    typer.echo(error.render(), err=True)
    raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except RbtsError as exc:
        print(exc.render(), file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # last resort: a bug, reported briefly
        if os.environ.get("RBTS_DEBUG"):
            raise
        print(f"rbts: internal error: {type(exc).__name__}: {exc} (set RBTS_DEBUG=1 for details)", file=sys.stderr)
        sys.exit(70)


if __name__ == "__main__":
    main()
