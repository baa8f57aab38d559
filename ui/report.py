"""The HTML report of one backtest (``rbts report RUN_DIR`` and the app's button).

One self-contained page: Plotly figures exported with Plotly's own HTML export
(plotly.js inlined once, so the file opens offline and stays interactive), laid
out by a Jinja2 template (autoescaped).  The figures are the app's own builders
(``figures.equity_figure``) in the ``rbts_dark`` template; the numbers come from
metrics.json and :mod:`rbts.runtime.backtest.analysis`, nothing is recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from rbts.runtime.backtest import analysis
from rbts.runtime.backtest.run_folder import RunData
from rbts.ui import figures, theme

BENCHMARK_INDEX = "SPY"


@dataclass(frozen=True)
class Benchmarks:
    lines: dict[str, pd.Series]  # label -> equity at the run's cycles
    notes: list[str]  # what could not be drawn, and why
    synthetic: list[str]  # symbols (traded or benchmark) whose bars are the synthetic demo set


def load_benchmarks(run: RunData, settings) -> Benchmarks:
    """Buy-and-hold of the run's tickers, and of SPY when the catalog has it (``settings``: the home)."""
    from rbts.dsl.errors import RbtsError
    from rbts.runtime.data.catalog import BarStore

    if settings is None or run.equity.empty:
        return Benchmarks({}, ["no catalog given: buy-and-hold not drawn"], [])
    store = BarStore(settings)
    start, end = run.metrics.get("start"), run.metrics.get("end")
    lines, notes = {}, []
    groups = {"Buy & hold " + ", ".join(run.symbols): run.symbols}
    if store.has(BENCHMARK_INDEX):
        groups[f"{BENCHMARK_INDEX} buy & hold"] = [BENCHMARK_INDEX]
    else:
        notes.append(f"{BENCHMARK_INDEX} is not in the catalog: no index benchmark")
    for label, symbols in groups.items():
        try:
            frames = store.load_frames(symbols, start, end)
            closes = {s: f["close"].rename(s) for s, f in frames.items()}
            lines[label] = analysis.buy_and_hold(closes, run.capital, run.equity.index)
        except (RbtsError, ValueError) as exc:
            notes.append(f"{label}: not drawn ({exc})")
    used = {s for group in groups.values() for s in group} | set(run.data_symbols)
    synthetic = sorted(s for s in used if store.has(s) and store.is_synthetic(s))
    return Benchmarks(lines, notes, synthetic)


def report_html(run: RunData, benchmarks: Benchmarks) -> str:
    """The whole page as text."""
    import plotly.offline
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("rbts.ui", "templates"), autoescape=select_autoescape(["html"]))
    fig = figures.equity_figure(run.equity, run.capital, height=460, benchmarks=benchmarks.lines)
    fig.update_layout(title=None)
    return env.get_template("report.html").render(
        run=run, theme=theme, benchmarks=benchmarks, plotly_js=plotly.offline.get_plotlyjs(),
        equity_div=fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False}),
        headline=_headline(run, benchmarks), monthly=_monthly_rows(run), tickers=_ticker_rows(run),
        metrics=figures.metrics_table(run.metrics).values.tolist(),
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )


def build_report(run: RunData, settings) -> str:
    return report_html(run, load_benchmarks(run, settings))


def _headline(run: RunData, benchmarks: Benchmarks) -> list[tuple[str, str]]:
    m = run.metrics
    cards = [(figures.LABELS[k], figures.format_metric(k, m.get(k)))
             for k in ("total_return", "cagr", "sharpe", "max_drawdown", "trades", "win_rate")]
    for label, line in benchmarks.lines.items():
        if len(line):
            cards.append((label, figures.format_metric("total_return", float(line.iloc[-1]) / run.capital - 1)))
    return cards


def _percent(value) -> str:
    return "" if value is None or not np.isfinite(value) else f"{value * 100:+.1f}%"


def _heat(value) -> str:
    """A cell background: green for gains, red for losses, stronger the larger (5 % is full)."""
    if value is None or not np.isfinite(value):
        return "transparent"
    alpha = 0.12 + 0.6 * min(1.0, abs(value) / 0.05)
    rgb = "38,166,154" if value >= 0 else "239,83,80"
    return f"rgba({rgb},{alpha:.2f})"


def _monthly_rows(run: RunData) -> dict:
    table = analysis.monthly_returns(run.equity["equity"], run.capital)
    rows = [(year, [(_percent(v), _heat(v)) for v in table.loc[year].to_numpy(float)]) for year in table.index]
    return {"columns": list(table.columns), "rows": rows}


def _ticker_rows(run: RunData) -> list[list[str]]:
    table = analysis.ticker_breakdown(run.trades, run.equity.index)
    return [[r.symbol, f"{r.trades}", f"{r.open}", f"{r.pnl:+,.2f}",
             "—" if r.win_rate is None or pd.isna(r.win_rate) else f"{r.win_rate * 100:.1f}%",
             f"{r.exposure * 100:.1f}%"] for r in table.itertuples()]
