"""``rbts data``: manage the bar catalog (SPEC §3) — demo, import, download, ls.

Heavy imports (pandas, nautilus) happen inside the commands. Progress bars
(rich) show only on a terminal.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import typer

from rbts.dsl.errors import RbtsError
from rbts.runtime.cli.common import is_terminal, settings_from, user_errors
from rbts.dsl.exchange import EXCHANGE_TZ

data_app = typer.Typer(help="Manage the bar catalog: demo data, imports, IB downloads.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")



@contextmanager
def _progress(total: int | None, label: str):
    """A rich progress bar on a terminal; a no-op advance() elsewhere."""
    if not is_terminal():
        yield lambda _msg=None: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(msg: str | None = None) -> None:
            bar.update(task, advance=1, description=f"{label} {msg or ''}".strip())

        yield advance


def _split_symbols(text: str | None) -> list[str]:
    from rbts.runtime.data.instruments import normalize

    return [normalize(s) for s in (text or "").replace(" ", ",").split(",") if s.strip()]


@data_app.command("demo")
def demo_cmd(
    ctx: typer.Context,
    symbols: str = typer.Option(None, "--symbols", help="Comma-separated subset (default: all 8 tickers and VIX)."),
    start: str = typer.Option(None, "--start", help="First session, YYYY-MM-DD (default 2025-01-02)."),
    end: str = typer.Option(None, "--end", help="Last session, YYYY-MM-DD (default 2025-12-31)."),
    force: bool = typer.Option(False, "--force", help="Also replace symbols that hold real (imported/downloaded) bars."),
) -> None:
    """Write the deterministic SYNTHETIC demo set: 1-minute RTH bars on the XNYS sessions of 2025."""
    with user_errors():
        from rbts.runtime.data import demo
        from rbts.runtime.data.catalog import BarStore

        chosen = _split_symbols(symbols) or list(demo.DEMO_SYMBOLS)
        store = BarStore(settings_from(ctx))
        with _progress(len(chosen), "demo") as advance:
            counts = demo.write_demo(store, chosen, start, end, progress=advance, force=force)
        written = {s: n for s, n in counts.items() if n >= 0}
        kept = [s for s, n in counts.items() if n < 0]
        if written:
            typer.echo(f"wrote {sum(written.values()):,} SYNTHETIC 1-minute bars ({', '.join(written)}) to {store.root}")
            typer.echo("note: demo prices are a seeded random walk, not market data")
        if kept:
            typer.echo(f"kept the real bars of {', '.join(kept)} (pass --force to replace them with synthetic ones)")


@data_app.command("import")
def import_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV or Parquet with columns ts, open, high, low, close, volume (ts = bar CLOSE time)."),
    symbol: str = typer.Option(..., "--symbol", help="The DSL symbol these bars belong to (AAPL, VIX, BRK.B)."),
    tz: str = typer.Option(EXCHANGE_TZ, "--tz", help="Time zone of naive ts values."),
    stamped: str = typer.Option("close", "--stamped", help="'close' (the format) or 'open' to shift vendor open-time stamps by one bar."),
) -> None:
    """Import bars for one symbol; nothing is written unless every row is valid."""
    with user_errors():
        from rbts.runtime.data.catalog import BarStore
        from rbts.runtime.data.importer import import_file
        from rbts.runtime.data.instruments import bar_spec

        store = BarStore(settings_from(ctx))
        with _progress(3, f"import {file.name}") as advance:
            result = import_file(store, file, symbol, tz=tz, stamped=stamped, progress=advance)
        size = bar_spec(result.seconds).rsplit("-", 1)[0].lower()
        replaced = f", replacing {result.replaced:,} stored bars" if result.replaced else ""
        typer.echo(f"imported {result.rows:,} {size} bars for {result.symbol}: {result.first.isoformat()} .. {result.last.isoformat()}{replaced}")
        for note in result.notes:
            typer.echo(f"note: {note}")


@data_app.command("download")
def download_cmd(
    ctx: typer.Context,
    symbols: str = typer.Option(..., "--symbols", help="Comma-separated DSL symbols, e.g. AAPL,MSFT,VIX."),
    start: str = typer.Option(..., "--start", help="First day, YYYY-MM-DD (New York)."),
    end: str = typer.Option(..., "--end", help="Last day, YYYY-MM-DD (New York), inclusive."),
    rth_only: bool = typer.Option(False, "--rth-only", help="Regular trading hours only (default: extended hours too)."),
) -> None:
    """Download 1-minute bars from Interactive Brokers (TWS or IB Gateway) into the catalog."""
    with user_errors():
        from rbts.runtime.ib.download import download_bars

        settings = settings_from(ctx)
        chosen = _split_symbols(symbols)
        if not chosen:
            raise RbtsError("--symbols: give at least one symbol")
        with _counted_progress("download") as progress:
            counts = download_bars(settings, chosen, start, end, progress=progress, rth_only=rth_only)
        typer.echo(", ".join(f"{name}: {n:,} bars" for name, n in counts.items()) or "nothing to download")


@contextmanager
def _counted_progress(label: str):
    """A ``progress(done, total, text)`` callback drawing a rich bar on a terminal."""
    if not is_terminal():
        yield lambda done, total, text=None: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int, text: str | None = None) -> None:
            bar.update(task, completed=done, total=total, description=f"{label} {text or ''}".strip())

        yield update


@data_app.command("ls")
def ls_cmd(ctx: typer.Context) -> None:
    """List stored symbols: first/last bar, bar count, bar size, gaps, source."""
    with user_errors():
        from rbts.runtime.data.catalog import BarStore

        store = BarStore(settings_from(ctx))
        rows = sorted(store.coverage(), key=lambda c: (c.symbol, c.seconds))
        if not rows:
            typer.echo(f"no bars in {store.root}; run `rbts data demo` or `rbts data import FILE --symbol SYM`")
            return
        table = [_ls_row(r, store.settings.timezone) for r in rows]
        if is_terminal():
            _print_rich(table, store.root)
        else:
            _print_plain(table)
        for cov in rows:
            for path in cov.damaged:
                typer.echo(f"{path}: warning: damaged catalog file ({cov.symbol} bars; the row above counts the readable files only): "
                           f"run `rbts data repair {cov.symbol}`", err=True)


def _stored(ctx: typer.Context, symbol: str):
    """The catalog and the symbol's normalised name; an error when it has no stored bars."""
    from rbts.runtime.data.catalog import BarStore
    from rbts.runtime.data.instruments import normalize

    store = BarStore(settings_from(ctx))
    name = normalize(symbol)
    if not store.has(name):
        raise RbtsError(f"no bars for {name} in {store.root}")
    return store, name


@data_app.command("repair")
def repair_cmd(ctx: typer.Context, symbol: str = typer.Argument(..., help="The symbol whose catalog files to check.")) -> None:
    """Check every stored file of a symbol; set damaged ones aside (into catalog/damaged/) so the rest loads."""
    with user_errors():
        store, name = _stored(ctx, symbol)
        moved = store.repair(name)
        if not moved:
            typer.echo(f"every catalog file of {name} reads fine; nothing to repair")
            return
        for was, now in moved:
            typer.echo(f"set aside {was.name} -> {now}")
        left = "its other bars load again" if store.has(name) else "no readable bars are left"
        typer.echo(f"{name}: {len(moved)} damaged file(s) set aside; {left}. Re-import or re-download the missing range "
                   f"(`rbts data import FILE --symbol {name}`).")


@data_app.command("rm")
def rm_cmd(
    ctx: typer.Context,
    symbol: str = typer.Argument(..., help="The symbol whose stored bars to delete."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete every stored bar of a symbol (all bar sizes)."""
    with user_errors():
        store, name = _stored(ctx, symbol)
        if not yes:
            if not sys.stdin.isatty():
                raise RbtsError(f"rbts data rm {name} deletes every stored bar of {name}: pass --yes to confirm")
            typer.confirm(f"delete every stored bar of {name}?", abort=True)
        store.remove_symbol(name)
        typer.echo(f"removed the stored bars of {name}")


LS_HEADER = ("symbol", "bar", "first", "last", "bars", "days", "gaps", "missing_sessions", "source")


def _ls_row(cov, tz: str) -> tuple[str, ...]:
    fmt = lambda t: t.tz_convert(tz).strftime("%Y-%m-%d %H:%M") if t is not None else "-"  # noqa: E731
    source = "SYNTHETIC demo data (not market prices)" if cov.synthetic else cov.source
    if cov.damaged:
        source = f"DAMAGED: {len(cov.damaged)} unreadable file(s), run `rbts data repair {cov.symbol}`; {source}"
    return (
        cov.symbol, _duration(cov.seconds), fmt(cov.first), fmt(cov.last),
        f"{cov.bars}", f"{cov.days}", f"{cov.gaps}", f"{cov.missing_sessions}", source,
    )  # fmt: skip


def _duration(seconds: int) -> str:
    """60 -> 1m, 14400 -> 4h, 86400 -> 1d (the DSL's spelling)."""
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _print_plain(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(LS_HEADER)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    typer.echo(line(LS_HEADER))
    for row in rows:
        typer.echo(line(row))


def _print_rich(rows: list[tuple[str, ...]], root: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"bars in {root} (times New York)")
    for name in LS_HEADER:
        numeric = name in ("bars", "days", "gaps", "missing_sessions")
        title = "missing sessions" if name == "missing_sessions" else name
        table.add_column(title, justify="right" if numeric else "left", no_wrap=name != "source")
    for row in rows:
        style = "red" if row[-1].startswith("DAMAGED") else "yellow" if row[-1].startswith("SYNTHETIC") else None
        table.add_row(*row, style=style)
    Console().print(table)
