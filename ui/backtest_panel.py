"""The backtest panel: tickers, dates, capital -> a run in a worker process -> results.

The last few runs are kept in the session so they can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from rbts.dsl.settings import DEFAULT_CAPITAL
from rbts.runtime.settings import Settings
from rbts.ui import figures
from rbts.ui.backtest_downloads import render_downloads
from rbts.ui.backtest_jobs import BacktestJob, BacktestRequest
from rbts.ui.catalog import catalog_range, catalog_symbols, load_bars
from rbts.ui.document import Document
from rbts.ui.job_progress import render_job

JOB_KEY = "strategy.bt.job"
RUNS_KEY = "strategy.bt.runs"
KEEP_RUNS = 5


@dataclass
class Run:
    number: int
    request: BacktestRequest
    result: object  # BacktestResult

    @property
    def label(self) -> str:
        r = self.request
        return f"#{self.number} {r.label} · {', '.join(r.symbols)} · {r.start}..{r.end}"


def default_dates(span: tuple[date, date] | None) -> tuple[date, date]:
    """The last three months of the catalog (all of it when shorter)."""
    if span is None:
        today = date.today()
        return today - timedelta(days=90), today
    first, last = span
    return max(first, last - timedelta(days=91)), last


def render_backtest(doc: Document, settings: Settings) -> None:
    st.markdown("#### Backtest")
    if doc.valid is None:
        st.info("Write a valid strategy first.")
        return
    symbols = catalog_symbols(settings)
    if not symbols:
        st.warning("The data catalog is empty. Run `rbts data demo` (synthetic demo data) or `rbts data import`.")
        return
    _render_form(doc, settings, symbols)
    if JOB_KEY in st.session_state:  # the fragment polls every second only while a job runs
        _render_job()
    _render_results(settings)


def _render_form(doc: Document, settings: Settings, symbols: list[str]) -> None:
    checked = doc.valid
    universe = [s for s in checked.settings.universe if s in symbols]
    span = catalog_range(settings)
    start_default, end_default = default_dates(span)
    c1, c2, c3, c4 = st.columns([4, 2, 2, 2])
    tickers = c1.multiselect("Tickers", symbols, default=universe, key="strategy.bt.tickers",
                             help="Defaults to the strategy's universe; data-only symbols (VIX) are loaded as needed.")
    start = c2.date_input("From", start_default, min_value=span[0] if span else None,
                          max_value=span[1] if span else None, key="strategy.bt.start")
    end = c3.date_input("To", end_default, min_value=span[0] if span else None,
                        max_value=span[1] if span else None, key="strategy.bt.end")
    capital = c4.number_input("Capital (USD)", min_value=100.0, step=1000.0, format="%.0f",
                              value=float(checked.settings.capital or DEFAULT_CAPITAL), key="strategy.bt.capital")
    job = st.session_state.get(JOB_KEY)
    running = job is not None and not job.done
    note = "" if doc.is_valid else " (the last valid version: the code has errors)"
    if st.button(f"Run backtest{note}", type="primary", icon=":material/play_arrow:", key="strategy.bt.run",
                 disabled=running or not tickers):
        if end < start:
            st.error("The end date is before the start date.")
            return
        request = BacktestRequest(doc.valid_text, start, end, float(capital), tuple(tickers), str(settings.home),
                                  label=checked.settings.name)
        st.session_state[JOB_KEY] = BacktestJob.start(request)
        st.rerun()


def _render_job() -> None:
    """Progress of the running job; hands the result over when it is done."""
    render_job(JOB_KEY, _progress, cancel_key="strategy.bt.cancel", error_key="strategy.bt.error",
               on_success=lambda job: finish_run(job.request, job.result))


def _progress(job: BacktestJob) -> tuple[float, str]:
    return job.fraction, f"Backtesting… {job.fraction:.0%} · {job.message}"


def finish_run(request: BacktestRequest, result) -> None:
    """Keep a finished run (the newest first, at most KEEP_RUNS)."""
    runs: list[Run] = st.session_state.setdefault(RUNS_KEY, [])
    number = (runs[0].number + 1) if runs else 1
    runs.insert(0, Run(number, request, result))
    del runs[KEEP_RUNS:]
    st.session_state["strategy.bt.selected"] = number
    st.session_state.pop("strategy.bt.error", None)


def _render_results(settings: Settings) -> None:
    error = st.session_state.get("strategy.bt.error")
    if error:
        st.error(f"The backtest failed:\n\n```\n{error}\n```")
    runs: list[Run] = st.session_state.get(RUNS_KEY, [])
    if not runs:
        return
    if len(runs) > 1:
        st.markdown("**Recent runs**")
        st.dataframe(compare_table(runs), hide_index=True, width="stretch")
    numbers = [r.number for r in runs]
    chosen = st.session_state.get("strategy.bt.selected", numbers[0])
    number = st.selectbox("Show run", numbers, index=numbers.index(chosen) if chosen in numbers else 0,
                          format_func=lambda n: next(r.label for r in runs if r.number == n),
                          key="strategy.bt.show")
    run = next(r for r in runs if r.number == number)
    render_run(run, settings)


def compare_table(runs: list[Run]) -> pd.DataFrame:
    rows = []
    for run in runs:
        m = run.result.metrics
        rows.append({"run": f"#{run.number}", "tickers": ", ".join(run.request.symbols),
                     "period": f"{run.request.start} .. {run.request.end}",
                     **{figures.LABELS[k]: figures.format_metric(k, m.get(k))
                        for k in ("total_return", "sharpe", "max_drawdown", "trades", "win_rate")}})
    return pd.DataFrame(rows)


def render_run(run: Run, settings: Settings) -> None:
    result = run.result
    metrics = result.metrics
    for warning in metrics.get("warnings", []):
        st.warning(warning, icon=":material/warning:")
    if not metrics.get("trades") and result.trades.empty:
        st.info("No trades: the global and entry rules were never all true at the same cycle. The rule charts "
                "above show how often each rule was true — a rarely-true global rule blocks every entry.",
                icon=":material/info:")
    cols = st.columns(6)
    for col, key in zip(cols, ("total_return", "cagr", "sharpe", "max_drawdown", "trades", "win_rate")):
        col.metric(figures.LABELS[key], figures.format_metric(key, metrics.get(key)))
    chart_col, table_col = st.columns([3, 1])
    with chart_col:
        st.plotly_chart(figures.equity_figure(result.equity, float(metrics["initial_capital"])),
                        width="stretch", key=f"strategy.bt.equity.{run.number}")
    with table_col:
        st.dataframe(figures.metrics_table(metrics), hide_index=True, width="stretch", height=360)
    render_downloads(result, settings, key=f"strategy.bt.dl.{run.number}")
    _render_price_chart(run, settings)
    st.markdown(f"**Trades** ({len(result.trades)})")
    st.dataframe(trades_view(result.trades), hide_index=True, width="stretch")


def trades_view(trades: pd.DataFrame) -> pd.DataFrame:
    """The trade list in exchange time, newest last."""
    if trades.empty:
        return trades
    view = trades.copy()
    for col in ("entry_ts", "exit_ts"):
        view[col] = figures.to_ny(view[col]).strftime("%Y-%m-%d %H:%M")
    return view


def _render_price_chart(run: Run, settings: Settings) -> None:
    symbols = list(run.request.symbols)
    symbol = st.selectbox("Price chart of", symbols, key=f"strategy.bt.price.{run.number}")
    try:
        frame = load_bars(str(settings.catalog_dir), settings, symbol, run.request.start, run.request.end)
    except Exception as exc:  # noqa: BLE001 - the data may have changed since the run
        st.warning(f"No bars to draw for {symbol}: {exc}")
        return
    st.plotly_chart(figures.price_figure(frame, run.result.trades, symbol), width="stretch",
                    key=f"strategy.bt.pricefig.{run.number}.{symbol}")
