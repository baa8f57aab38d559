"""``rbts trace FILE --symbol SYM --start D --end D [--csv OUT]`` (SPEC §3).

Per cycle: each rule's state and the values of every let and function call.  With
``--csv`` the SPEC's CSV goes to OUT; otherwise a terminal gets a table of the
cycles where any rule changed, and a pipe gets the CSV.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from rbts.dsl.errors import RbtsError
from rbts.dsl.exchange import EXCHANGE_TZ
from rbts.runtime.cli.common import SET_HELP, check_out_file, is_terminal, parse_sets, settings_from, user_errors

MAX_TABLE_ROWS = 200


def trace_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A strategy: .rbts text or its .json form.", metavar="FILE"),
    symbol: str = typer.Option(None, "--symbol", "-s", help="Universe ticker to trace (default: the first)."),
    start: str = typer.Option(None, "--start", help="First day (YYYY-MM-DD, New York) or ISO time."),
    end: str = typer.Option(None, "--end", help="Last day (inclusive) or ISO time."),
    csv: Path = typer.Option(None, "--csv", help="Write the trace as CSV to this file."),
    sets: list[str] = typer.Option(None, "--set", help=SET_HELP, metavar="NAME=VALUE"),
) -> None:
    """Trace a strategy's rules cycle by cycle on stored bars."""
    overrides = parse_sets(sets)
    with user_errors():
        _trace(ctx, file, symbol, start, end, csv, overrides)


def _trace(ctx, file: Path, symbol: str | None, start, end, csv: Path | None, overrides=None) -> None:
    from rbts.compiler.program import compile_strategy
    from rbts.compiler.trace import trace_strategy
    from rbts.compiler.warmup import warmup_range
    from rbts.runtime.cli.language import load_checked, write_atomic
    from rbts.runtime.data.catalog import BarStore

    _check_range(start, end)
    if csv is not None:
        check_out_file(csv, "--csv")
    checked = load_checked(file, overrides)
    settings = checked.settings
    symbol = (symbol or settings.universe[0]).strip().strip('"')
    program = compile_strategy(checked)
    store = BarStore(settings_from(ctx))
    load_from, report_from = warmup_range(program, start)
    frames = store.load_frames(settings.symbols, load_from, end, seconds=settings.bars_seconds)  # as backtests do
    if not any(len(f) for f in frames.values()):
        raise RbtsError(f"no bars between {start or 'the start'} and {end or 'the end'} for "
                        f"{', '.join(settings.symbols)}")
    trace = trace_strategy(program, frames, symbol, start=report_from)
    if csv is not None:
        write_atomic(csv, trace.to_csv())
        typer.echo(f"wrote {len(trace.frame)} cycles to {csv}", err=True)
        return
    if not is_terminal():
        sys.stdout.write(trace.to_csv())
        return
    _print_table(trace)


def _check_range(start: str | None, end: str | None) -> None:
    """--start/--end as the catalog reads them (a day or an ISO time), refused before any work."""
    from rbts.runtime.data.dates import time_bounds

    for flag, value in (("--start", start), ("--end", end)):
        try:
            time_bounds(value, None)
        except RbtsError as exc:
            raise RbtsError(f"{flag}: {exc.diagnostics[0].message}") from None
    time_bounds(start, end)


def _print_table(trace) -> None:
    from rich.console import Console
    from rich.table import Table

    changes = trace.changes()
    values = _distinct_columns(trace)
    table = Table(title=f"{trace.symbol}: {len(changes)} of {len(trace.frame)} cycles where a rule changed",
                  caption="times in New York; use --csv OUT for every cycle and every value")
    table.add_column("time", no_wrap=True)
    styles = {"true": "green", "false": "red", "warming": "yellow"}
    for name in trace.rules:
        table.add_column(name, overflow="fold")
    for name in values:
        table.add_column(name, justify="right", overflow="fold")
    local = changes["ts"].dt.tz_convert(EXCHANGE_TZ).dt.strftime("%m-%d %H:%M").tolist()
    for i, (_, row) in enumerate(changes.iterrows()):
        if i >= MAX_TABLE_ROWS:
            break
        cells = [local[i]]
        cells += [f"[{styles[row[r]]}]{row[r]}[/]" for r in trace.rules]
        cells += ["" if row[c] != row[c] else f"{row[c]:.6g}" for c in values]
        table.add_row(*cells)
    console = Console()
    console.print(table)
    if len(changes) > MAX_TABLE_ROWS:
        console.print(f"... {len(changes) - MAX_TABLE_ROWS} more rows")


def _distinct_columns(trace) -> list[str]:
    """Value columns without repeats: a call that is the same node as a let shows once, as the let."""
    seen, out = set(), []
    for col in trace.result.graph.columns:
        node = col.node_for(trace.symbol)
        if col.text in trace.columns and node not in seen:
            seen.add(node)
            out.append(col.text)
    return out


def register(app: typer.Typer) -> None:
    app.command("trace")(trace_command)
