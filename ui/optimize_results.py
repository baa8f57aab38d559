"""The results of the last sweep of the Optimize section: the verdict on overfitting in plain
words, the sortable results table, the objective heatmap over two params, the walk-forward
out-of-sample equity and folds, and "Use these values"."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from rbts.dsl.params import with_defaults
from rbts.runtime.research.ranking import Ranking
from rbts.runtime.research.reading import DSR_TRUST, PBO_WORRY, judged_dsr, reading
from rbts.runtime.settings import Settings
from rbts.ui import optimize_figures as figs
from rbts.ui import session
from rbts.ui.document import Document
from rbts.ui.optimize_prescreen import prescreen_heatmap_frame, render_prescreen, screened_columns_first

FOLDER_KEY = "strategy.opt.folder"


def render_results(doc: Document, settings: Settings) -> None:
    error = st.session_state.get("strategy.opt.error")
    if error:
        st.error(f"The optimization failed:\n\n```\n{error}\n```")
    folder = st.session_state.get(FOLDER_KEY)
    if not folder or not (Path(folder) / "sweep.json").exists():
        return
    data = json.loads((Path(folder) / "sweep.json").read_text())
    ranking = Ranking(data["objective"], data["min_trades"])
    results = figs.ranked(figs.read_results(folder), ranking)
    params = list(data["space"])
    _verdict(data, folder)
    render_prescreen(results, data, params)
    if data["walk_forward"]:
        _walk_forward(folder, data, params)
    st.markdown(f"**Variants** ({len(results)}; click a column to sort)" if not data["walk_forward"]
                else f"**Train runs** ({len(results)}; click a column to sort)")
    shown = screened_columns_first(results, params, data["objective"]) if data.get("prescreen") else results
    st.dataframe(shown, hide_index=True, width="stretch", key="strategy.opt.table")
    if data.get("prescreen"):  # the heatmap over every variant, from the pre-screen's figures
        st.caption(f"Heatmap: the pre-screen's {data['objective']} of every variant screened")
        _objective_chart(prescreen_heatmap_frame(results, data["objective"]), params, data["objective"])
    else:
        _objective_chart(results, params, data["objective"])
    _use_values(doc, results, data, params)


def _verdict(data: dict, folder: str) -> None:
    counts = data["counts"]
    status = "" if data["status"] == "finished" else f" · **{data['status']}** ({data.get('stop_reason') or ''})"
    st.caption(f"{counts['ok']} ok, {counts['error']} errors · {data['timings']['wall_seconds']:.0f} s · "
               f"results in `{folder}`{status}")
    if data["walk_forward"]:
        return
    c1, c2, c3 = st.columns(3)
    best = data["best"]
    c1.metric("Best variant", f"#{best['variant']}" if best else "none")
    (dsr, note), pbo = judged_dsr(data), data["pbo"]
    c2.metric("Deflated Sharpe ratio", "n/a" if dsr is None else f"{dsr:.3f}",
              help=f"Probability that the best Sharpe is not luck, given how many variants were tried "
                   f"(below {DSR_TRUST}: likely luck){'; ' + note if note else ''}")
    c3.metric("Probability of backtest overfitting", "n/a" if pbo is None else f"{pbo:.0%}",
              help=f"Share of in/out-of-sample splits where the in-sample winner fell below the median "
                   f"out of sample (above {PBO_WORRY:.0%}: overfit); needs 16 ok variants of a grid or random search")
    luck = (dsr is not None and dsr < DSR_TRUST) or (pbo is not None and pbo > PBO_WORRY)
    (st.warning if luck else st.info)(reading(dsr, pbo), icon=":material/casino:" if luck else ":material/info:")


def _walk_forward(folder: str, data: dict, params: list[str]) -> None:
    folds = pd.read_csv(Path(folder) / "folds.csv", keep_default_na=False)
    oos = figs.read_oos(folder)
    st.markdown("**Walk-forward: out-of-sample equity** (each fold's chosen variant on the next block)")
    capital = float(folds["test_initial_capital"].iloc[0]) if len(folds) and folds["test_initial_capital"].iloc[0] != "" \
        else float(data.get("capital") or 10_000)
    if len(oos):
        st.plotly_chart(figs.oos_figure(oos, folds, capital), width="stretch", key="strategy.opt.oos")
    objective = data["objective"]
    show = ["fold", "train_start", "train_end", "test_start", "test_end", *params, "train_objective",
            f"test_{objective}", "test_total_return", "test_trades", "deflated_sharpe", "pbo"]
    st.dataframe(folds[[c for c in dict.fromkeys(show) if c in folds.columns]], hide_index=True, width="stretch",
                 key="strategy.opt.folds")


def _objective_chart(results: pd.DataFrame, params: list[str], objective: str) -> None:
    if results.empty or not params:
        return
    if len(params) == 1:
        st.plotly_chart(figs.objective_line(results, params[0], objective), width="stretch", key="strategy.opt.line")
        return
    c1, c2 = st.columns(2)
    x = c1.selectbox("Heatmap across", params, index=0, key="strategy.opt.hx")
    y = c2.selectbox("and down", params, index=1, key="strategy.opt.hy")
    if x == y:
        st.caption("Choose two different params for the heatmap.")
        return
    grid = figs.objective_grid(results, x, y, objective)
    if grid.empty:
        st.caption("No variant finished with a value of the objective.")
        return
    note = " (the best over the other params)" if len(params) > 2 else ""
    st.caption(f"{objective} by {x} and {y}{note}")
    st.plotly_chart(figs.heatmap_figure(grid, x, y, objective), width="stretch", key="strategy.opt.heat")


def _use_values(doc: Document, results: pd.DataFrame, data: dict, params: list[str]) -> None:
    if not params or results.empty:
        return
    ok = results[results["status"] == "ok"]
    if ok.empty:
        return
    best = (data.get("best") or {}).get("variant")
    choices = list(dict.fromkeys(([best] if best is not None else []) + ok["variant"].tolist()))
    label = lambda n: ", ".join(f"{p}={ok[ok['variant'] == n].iloc[0][p]}" for p in params) + \
        (" (best)" if n == best else "")  # noqa: E731
    c1, c2 = st.columns([4, 1])
    variant = c1.selectbox("Variant", choices, format_func=lambda n: f"#{n}: {label(n)}", key="strategy.opt.pick")
    if c2.button("Use these values", key="strategy.opt.use", help="Write them into the strategy as the params' defaults"):
        row = ok[ok["variant"] == variant].iloc[0]
        values = {p: str(row[p]) for p in params}  # as written in results.csv: 12, -0.25, 2%, 5m
        session.apply_text(doc, with_defaults(doc.valid_text, values),
                           "Params set to " + ", ".join(f"{k}={v}" for k, v in values.items()))
