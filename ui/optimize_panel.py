"""The Optimize section of the Strategy tab (SPEC §6.2): the params' domains, search,
objective, dates, tickers and walk-forward -> a sweep in a child process (progress, cancel)
-> its results (ui/optimize_results.py).  It runs the same sweep as ``rbts sweep``."""

from __future__ import annotations

import math

import streamlit as st

from rbts.dsl.errors import RbtsError
from rbts.runtime.research.job import SweepJob
from rbts.runtime.research.local import default_workers
from rbts.runtime.research.ranking import DEFAULT_MIN_TRADES, OBJECTIVES
from rbts.runtime.research.setup import SweepOptions, build_request, param_domains
from rbts.runtime.research.space import json_value
from rbts.runtime.settings import Settings
from rbts.ui import session
from rbts.ui.backtest_panel import default_dates
from rbts.ui.catalog import catalog_range, catalog_symbols
from rbts.ui.document import Document
from rbts.ui.job_progress import render_job
from rbts.ui.optimize_prescreen import prescreen_choice
from rbts.ui.optimize_results import FOLDER_KEY, render_results

JOB_KEY = "strategy.opt.job"
LIST_LIMIT = 15  # domains this small are picked value by value; larger ones by range and stride


def render_optimize(doc: Document, settings: Settings) -> None:
    st.markdown("#### Optimize")
    if doc.valid is None:
        st.info("Write a valid strategy first.")
        return
    domains = param_domains(doc.valid)
    if not domains:
        st.info("This strategy has no params to optimize. Declare one, e.g. `param fast = 9 in 5..20`, and use "
                "`fast` where a number stood (the builder's numeric inputs can use a parameter too).")
        return
    symbols = catalog_symbols(settings)
    if not symbols:
        st.warning("The data catalog is empty. Run `rbts data demo` (synthetic demo data) or `rbts data import`.")
        return
    space = _domain_inputs(domains)
    options = _run_inputs(doc, settings, symbols, space)
    job = st.session_state.get(JOB_KEY)
    running = job is not None and not job.done
    if st.button("Run optimization", type="primary", icon=":material/tune:", key="strategy.opt.run",
                 disabled=running or options is None):
        _start(doc, settings, options)
    if JOB_KEY in st.session_state:
        _render_job()
    render_results(doc, settings)


def _domain_inputs(domains: dict[str, tuple]) -> dict[str, tuple]:
    """The values to try per param (all of its domain by default)."""
    st.caption("Values to try (defaults from the strategy text):")
    columns = st.columns(min(3, len(domains)))
    chosen = {}
    for i, (name, values) in enumerate(domains.items()):
        with columns[i % len(columns)]:
            chosen[name] = _one_domain(name, values)
    return chosen


def _one_domain(name: str, values: tuple) -> tuple:
    labels = [str(json_value(v)) for v in values]
    g = session.gen_showing(f"opt.{name}", labels)  # a domain changed in the code: its whole new domain
    if len(values) <= LIST_LIMIT:
        picked = st.multiselect(name, labels, default=labels, key=f"strategy.opt.values.{name}.{g}")
        return tuple(v for v, label in zip(values, labels) if label in picked)
    low, high = st.select_slider(name, labels, value=(labels[0], labels[-1]), key=f"strategy.opt.range.{name}.{g}")
    stride = st.number_input(f"every n-th value of {name}", min_value=1, max_value=len(values), value=1,
                             key=f"strategy.opt.stride.{name}.{g}")
    return tuple(values[labels.index(low):labels.index(high) + 1:int(stride)])


def _run_inputs(doc: Document, settings: Settings, symbols: list[str], space: dict[str, tuple]):
    combos = math.prod(len(v) for v in space.values())
    c1, c2, c3, c4 = st.columns([2, 1, 2, 1])
    kind = c1.selectbox("Search", ["grid", "random", "optuna"], key="strategy.opt.search",
                        help="grid: every combination; random: N distinct draws; optuna: N trials of Optuna's TPE")
    trials = c2.number_input("N", min_value=1, value=min(combos, 32), key="strategy.opt.trials",
                             disabled=kind == "grid")
    objective = c3.selectbox("Objective (larger is better)", OBJECTIVES, index=OBJECTIVES.index("sharpe"),
                             key="strategy.opt.objective")
    min_trades = c4.number_input("Min trades", min_value=0, value=DEFAULT_MIN_TRADES, key="strategy.opt.min_trades")
    span = catalog_range(settings)
    first, last = default_dates(span)
    d1, d2, d3 = st.columns([4, 2, 2])
    universe = [s for s in doc.valid.settings.universe if s in symbols]
    tickers = d1.multiselect("Tickers", symbols, default=universe, key="strategy.opt.tickers")
    start = d2.date_input("From", first, key="strategy.opt.start")
    end = d3.date_input("To", last, key="strategy.opt.end")
    w1, w2, w3, w4 = st.columns([2, 1, 1, 2])
    walk = w1.checkbox("Walk-forward", key="strategy.opt.wf",
                       help="Train on one block of sessions, test the chosen variant on the next")
    folds = w2.number_input("Folds", min_value=1, value=3, key="strategy.opt.folds", disabled=not walk)
    anchored = w3.checkbox("Anchored", key="strategy.opt.anchored", disabled=not walk)
    workers = w4.number_input("Workers", min_value=1, value=default_workers(), key="strategy.opt.workers",
                              help=f"Local worker processes{'; Ray: ' + settings.ray.address if settings.ray.address else ''}")
    variants = combos if kind == "grid" else min(combos, int(trials))
    k = prescreen_choice(variants, kind, walk)
    runs = min(variants, k) if k else variants * ((int(folds) + 1) if walk else 1)
    where = f"on the Ray cluster at {settings.ray.address}" if settings.ray.address else f"on {int(workers)} workers"
    screened = f" · all {variants:,} pre-screened" if k else ""
    st.caption(f"{combos:,} combinations{screened} · about {runs:,} backtests {where}")
    if not tickers or any(not v for v in space.values()):
        return None
    return SweepOptions(start=str(start), end=str(end), tickers=tickers, search=kind if kind == "grid" else
                        f"{kind}:{int(trials)}", objective=objective, min_trades=int(min_trades),
                        walk_forward=int(folds) if walk else None, anchored=anchored, space=space,
                        workers=int(workers), prescreen=k)


def _start(doc: Document, settings: Settings, options: SweepOptions) -> None:
    try:
        request = build_request(doc.valid_text, None, options, settings)
    except RbtsError as exc:
        st.error(exc.render())
        return
    st.session_state[JOB_KEY] = SweepJob(request, home=settings.home, workers=options.workers)
    st.session_state.pop(FOLDER_KEY, None)
    st.rerun()


def _progress(job: SweepJob) -> tuple[float, str]:
    state = job.progress
    if state is None:
        return 0.0, "Optimizing… starting workers…"
    return state.fraction, f"Optimizing… {state.line()}"


def _render_job() -> None:
    render_job(JOB_KEY, _progress, cancel_key="strategy.opt.cancel", error_key="strategy.opt.error",
               on_success=_keep_folder)


def _keep_folder(job: SweepJob) -> None:
    st.session_state[FOLDER_KEY] = str(job.out)
