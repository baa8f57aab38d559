"""``rbts sweep FILE --start D --end D [...]`` (SPEC §6.2): every variant of a strategy's
params as an ordinary backtest, on local worker processes or a Ray cluster."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from rbts.dsl.errors import RbtsError
from rbts.runtime.cli.common import is_terminal, settings_from, user_errors

EXIT_SIGNAL = {"interrupted (Ctrl-C)": 130, "terminated (SIGTERM)": 143}


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep_cmd)


def sweep_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Strategy file (.rbts or .json) with params."),
    start: str = typer.Option(..., "--start", help="First session, YYYY-MM-DD (New York)."),
    end: str = typer.Option(..., "--end", help="Last session, YYYY-MM-DD (inclusive)."),
    tickers: str = typer.Option(None, "--tickers", help="Comma-separated tickers replacing the universe."),
    capital: float = typer.Option(None, "--capital", help="Initial capital in USD (default: the strategy's)."),
    search: str = typer.Option("grid", "--search", help="grid | random:N | optuna:N"),
    objective: str = typer.Option("sharpe", "--objective", help="A numeric metrics.json key; larger is better."),
    min_trades: int = typer.Option(10, "--min-trades", help="Variants with fewer closed trades rank last."),
    walk_forward: int = typer.Option(None, "--walk-forward", help="K folds of walk-forward validation."),
    anchored: bool = typer.Option(False, "--anchored", help="Walk-forward trains on every block so far."),
    workers: int = typer.Option(None, "--workers", help="Local worker processes (default: the number of cores)."),
    ray: str = typer.Option(None, "--ray", help="Run on the Ray cluster at HOST:PORT (or rbts.yaml ray.address)."),
    seed: int = typer.Option(0, "--seed", help="Seed of random:N and optuna:N."),
    prescreen: int = typer.Option(None, "--prescreen", help="Screen every variant vectorised; run only the best K "
                                  "in Nautilus (grid or random, no walk-forward)."),
    out: Path = typer.Option(None, "--out", help="Result folder (default HOME/sweeps/NAME-TIME); an existing one resumes."),
) -> None:
    """Backtest every variant of a strategy's params; rank them; check for overfitting."""
    from rbts.runtime.research.setup import SweepOptions, build_request, make_executor
    from rbts.runtime.research.sweep import Sweep

    _check_usage(search, objective, min_trades, walk_forward, workers)
    _check_prescreen(prescreen, search, walk_forward)
    settings = settings_from(ctx)
    options = SweepOptions(start=start, end=end, tickers=_split(tickers), capital=capital, search=search,
                           objective=objective, min_trades=min_trades, walk_forward=walk_forward,
                           anchored=anchored, seed=seed, out=out, prescreen=prescreen)
    with user_errors():
        text = _read(file)
        request = build_request(text, str(file), options, settings)
        sweep = Sweep(request, make_executor(settings, workers, ray))
        with _progress_view() as show:
            sweep.on_progress = show
            outcome = sweep.run()
    _report(outcome)


def _check_usage(search: str, objective: str, min_trades: int, walk_forward: int | None, workers: int | None) -> None:
    """Malformed options are usage errors (exit 2), found before anything starts."""
    from rbts.runtime.research.ranking import check_min_trades, check_objective
    from rbts.runtime.research.space import Search

    checks = {"--search": lambda: Search.parse(search), "--objective": lambda: check_objective(objective),
              "--min-trades": lambda: check_min_trades(min_trades)}
    for hint, check in checks.items():
        try:
            check()
        except RbtsError as exc:
            raise typer.BadParameter(exc.diagnostics[0].message, param_hint=hint) from None
    if walk_forward is not None and walk_forward < 1:
        raise typer.BadParameter(f"needs K >= 1 folds, got {walk_forward}", param_hint="--walk-forward")
    if workers is not None and workers < 1:
        raise typer.BadParameter(f"must be 1 or more, got {workers}", param_hint="--workers")


def _split(text: str | None) -> list[str] | None:
    return [t for t in (text or "").replace(" ", ",").split(",") if t.strip()] or None


def _read(file: Path) -> str:
    """The file's text by the front door's one encoding rule (a BOM dropped, a bad byte positioned)."""
    from rbts.dsl.load import read_text

    if not file.exists():
        raise RbtsError(f"{file}: no such strategy file")
    return read_text(file)


class _progress_view:
    """A live line on a terminal; off a terminal, a line on stderr every few seconds."""

    def __enter__(self):
        if is_terminal():
            from rich.console import Console
            from rich.live import Live

            self._live = Live("starting workers…", console=Console(stderr=True), transient=True,
                              refresh_per_second=4)
            self._live.__enter__()
            return lambda state: self._live.update(state.line())
        self._last = 0.0

        def show(state) -> None:
            now = time.monotonic()
            if now - self._last >= 5.0 or state.done >= state.total:
                self._last = now
                print(state.line(), file=sys.stderr, flush=True)

        return show

    def __exit__(self, *exc):
        if hasattr(self, "_live"):
            self._live.__exit__(*exc)
        return False


def _check_prescreen(k: int | None, search: str, walk_forward: int | None) -> None:
    if k is None:
        return
    if k < 1:
        raise typer.BadParameter(f"needs K >= 1 variants to confirm, got {k}", param_hint="--prescreen")
    if search.strip().startswith("optuna") or walk_forward is not None:
        raise typer.BadParameter("works with --search grid or random:N, without --walk-forward",
                                 param_hint="--prescreen")


def _report(outcome) -> None:
    from rich.console import Console

    data = outcome.summary
    console = Console(highlight=False)
    counts = data["counts"]
    if outcome.status != "finished":
        typer.echo(f"{outcome.reason}: {counts['done']} of {counts['runs']} runs finished and kept in "
                   f"{outcome.out}; run the same command with --out {outcome.out} to resume", err=True)
        raise typer.Exit(EXIT_SIGNAL.get(outcome.reason, 1))
    _print_table(console, outcome.out, data)
    best = data["best"]
    if best is None:
        console.print("no variant finished without an error: see the error column of results.csv")
    else:
        params = ", ".join(f"{k}={v}" for k, v in best["params"].items())
        console.print(f"best: variant {best['variant']}" + (f" ({params})" if params else ""))
    pre = data.get("prescreen")
    if pre:
        console.print(f"pre-screen: {pre['variants']} variants in {pre['seconds']:.1f} s; the best "
                      f"{len(pre['confirmed'])} confirmed in Nautilus; Spearman rank correlation "
                      f"{_figure(pre['spearman'])}")
        from rbts.runtime.prescreen.ranks import reading as rank_reading

        console.print(rank_reading(pre["spearman"], data["counts"]["ok"]))
    if not data["walk_forward"]:
        from rbts.runtime.research.reading import judged_dsr, reading

        dsr, note = judged_dsr(data)
        console.print(f"deflated Sharpe ratio: {_figure(dsr)}{f' ({note})' if note else ''} · "
                      f"probability of backtest overfitting: {_figure(data['pbo'])}")
        console.print(reading(dsr, data["pbo"]))
    console.print(f"{counts['ok']} ok, {counts['error']} errors in {data['timings']['wall_seconds']:.1f} s; "
                  f"results in {outcome.out}")


def _figure(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _print_table(console, out: Path, data: dict) -> None:
    import pandas as pd
    from rich.table import Table

    table_path = out / ("folds.csv" if data["walk_forward"] else "results.csv")
    frame = pd.read_csv(table_path, keep_default_na=False)
    if frame.empty:
        return
    params = list(data["space"])
    objective = data["objective"]
    if data["walk_forward"]:
        columns = ["fold", "test_start", "test_end", *params, "train_objective", f"test_{objective}", "test_trades"]
        title = "walk-forward folds (chosen on train, measured on test)"
    else:
        frame = frame.assign(_rank=_ranks(frame, objective, data["min_trades"])).sort_values("_rank").head(10)
        columns = ["variant", *params, objective, "trades", "total_return", "status"]
        title = f"top variants by {objective}"
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right")
    for _, row in frame.iterrows():
        table.add_row(*[_cell(c, row.get(c)) for c in columns])
    console.print(table)


def _ranks(frame, objective: str, min_trades: int) -> list[int]:
    from rbts.runtime.research.ranking import Ranking

    rows = [{k: (None if v == "" else v) for k, v in r.items()} for r in frame.to_dict("records")]
    order = Ranking(objective, min_trades).sort(rows)
    position = {r["variant"]: i for i, r in enumerate(order)}
    return [position[r["variant"]] for r in rows]


def _cell(column: str, value) -> str:
    from rbts.runtime.cli.backtest import format_metric

    if value is None or value == "":
        return ""
    key = column.removeprefix("test_")
    return format_metric(key, value) if isinstance(value, float) else str(value)
