"""``rbts report RUN_DIR [-o report.html]``: the HTML report of a backtest folder.

RUN_DIR is what ``rbts backtest ... --out DIR`` wrote.  The report compares the
equity with a buy-and-hold of the same tickers (and SPY when the home's catalog
has it); see docs/ui.md.  The page is self-contained and opens offline.
"""

from __future__ import annotations

from pathlib import Path

import typer

from rbts.dsl.errors import RbtsError
from rbts.runtime.cli.common import settings_from, user_errors


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)


def report_cmd(
    ctx: typer.Context,
    run_dir: Path = typer.Argument(..., help="A backtest folder (rbts backtest ... --out DIR)."),
    out: Path = typer.Option(None, "--out", "-o", help="The HTML file to write (default: RUN_DIR/report.html)."),
) -> None:
    """Write an HTML report of a backtest: equity vs buy-and-hold, drawdown, monthly returns, per ticker."""
    from rbts.runtime.backtest.run_folder import read_run
    from rbts.runtime.files import atomic_write
    from rbts.ui.report import build_report

    target = out if out is not None else run_dir / "report.html"
    with user_errors():
        run = read_run(run_dir)
        if not target.parent.is_dir():
            raise RbtsError(f"{target}: error: the folder {target.parent} does not exist")
        html = build_report(run, settings_from(ctx))
        atomic_write(target, html)
    typer.echo(f"report written to {target}")
