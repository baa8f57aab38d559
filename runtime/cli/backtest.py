"""``rbts backtest FILE --start D --end D [--capital N] [--symbols A,B] [--out DIR]`` (SPEC §3).

Runs the strategy in Nautilus on catalog bars, shows progress on a terminal,
prints the metrics, and writes the result files to ``--out``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from rbts.dsl.errors import RbtsError
from rbts.runtime.cli.common import SET_HELP, check_out_dir, is_terminal, parse_sets, settings_from


def register(app: typer.Typer) -> None:
    app.command("backtest")(backtest_cmd)


def backtest_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Strategy file (.rbts or .json)."),
    start: str = typer.Option(..., "--start", help="First day, YYYY-MM-DD (New York)."),
    end: str = typer.Option(..., "--end", help="Last day, YYYY-MM-DD (inclusive)."),
    capital: float = typer.Option(None, "--capital", help="Initial capital in USD (default: the strategy's)."),
    symbols: str = typer.Option(None, "--symbols", help="Comma-separated tickers replacing the universe."),
    out: Path = typer.Option(None, "--out", help="Folder for metrics.json, equity.csv, trades.csv, ..."),
    sets: list[str] = typer.Option(None, "--set", help=SET_HELP, metavar="NAME=VALUE"),
) -> None:
    """Backtest a strategy on stored bars and report its metrics."""
    from rbts.dsl.load import load_strategy
    from rbts.runtime.backtest.runner import run_backtest

    tickers = [s for s in (symbols or "").replace(" ", ",").split(",") if s.strip()] or None
    overrides = parse_sets(sets)
    try:
        settings = settings_from(ctx)
        if out is not None:
            check_out_dir(out, "--out")
        strategy = load_strategy(file, overrides=overrides) if overrides else file
        with _progress() as progress:
            result = run_backtest(strategy, start, end, capital=capital, symbols=tickers,
                                  home=settings.home, progress=progress)
        if out is not None:
            try:
                result.write(out)
            except OSError as exc:
                raise RbtsError(f"--out: cannot write the results to {out}: {exc.strerror or exc}") from None
    except RbtsError as exc:
        if exc.filename is None and exc.source is None:
            exc = exc.with_source("rbts backtest", None)
        typer.echo(exc.render(), err=True)
        raise typer.Exit(1) from None
    _print_summary(result, out)


class _progress:
    """A rich progress bar on a terminal, silent otherwise; used as ``progress(fraction, label)``."""

    def __enter__(self):
        if not is_terminal():
            return None
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(TextColumn("backtest {task.description}"), BarColumn(),
                             TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), transient=True)
        self._bar.__enter__()
        task = self._bar.add_task("", total=1.0)
        return lambda fraction, label: self._bar.update(task, completed=fraction, description=label)

    def __exit__(self, *exc):
        if hasattr(self, "_bar"):
            self._bar.__exit__(*exc)
        return False


def format_metric(key: str, value) -> str:
    if value is None:
        return "n/a"
    if key in ("total_return", "cagr", "max_drawdown", "volatility", "win_rate", "exposure"):
        return f"{value:.2%}"
    if key in ("initial_capital", "final_equity", "expectancy"):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _print_summary(result, out: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    from rbts.runtime.backtest.metrics import METRIC_KEYS

    console = Console(highlight=False)
    table = Table(title=f"{result.settings.name}: {result.start} .. {result.end}", show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in METRIC_KEYS:
        table.add_row(key, format_metric(key, result.metrics[key]))
    console.print(table)
    for warning in result.metrics.get("warnings", []):
        console.print(f"warning: {warning}")
    console.print(f"{result.bars:,} bars in {result.seconds:.1f} s" + (f"; results in {out}" if out else ""))
