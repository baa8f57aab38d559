"""Figures and tables of the Optimize section, as plain functions of a sweep's files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from rbts.runtime.research.ranking import Ranking
from rbts.ui import theme
from rbts.ui.figures import to_ny
from rbts.dsl.exchange import EXCHANGE_TZ


def read_results(folder: str | Path) -> pd.DataFrame:
    """results.csv with numbers as numbers and empty cells as None."""
    frame = pd.read_csv(Path(folder) / "results.csv", keep_default_na=False, na_values=[""])
    return frame.astype(object).where(frame.notna(), None)


def ranked(frame: pd.DataFrame, ranking: Ranking) -> pd.DataFrame:
    """The rows best first, with a ``rank`` column (1 = best) in front."""
    if frame.empty:
        return frame
    rows = frame.to_dict("records")
    order = {id(r): i for i, r in enumerate(ranking.sort(rows))}
    out = frame.assign(rank=[order[id(r)] + 1 for r in rows]).sort_values("rank")
    return out[["rank", *[c for c in out.columns if c != "rank"]]].reset_index(drop=True)


def objective_grid(frame: pd.DataFrame, x: str, y: str, objective: str) -> pd.DataFrame:
    """The objective over two params (rows y, columns x); with more params, the best value
    of each cell over the others.  Failed variants and undefined objectives are left out."""
    ok = frame[(frame["status"] == "ok") & frame[objective].notna()]
    if ok.empty:
        return pd.DataFrame()
    values = ok.assign(**{objective: ok[objective].astype(float)})
    return values.pivot_table(index=y, columns=x, values=objective, aggfunc="max").sort_index().sort_index(axis=1)


def heatmap_figure(grid: pd.DataFrame, x: str, y: str, objective: str) -> go.Figure:
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(float), x=[str(c) for c in grid.columns], y=[str(i) for i in grid.index],
        colorscale=[[0, theme.DOWN], [0.5, theme.PANEL], [1, theme.UP]], zmid=_middle(grid),
        colorbar=dict(title=objective), hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{objective}=%{{z:.4g}}<extra></extra>",
    ))
    fig.update_layout(template=theme.TEMPLATE_NAME, height=420, xaxis_title=x, yaxis_title=y,
                      xaxis_type="category", yaxis_type="category", yaxis_side="left")
    return fig


def _middle(grid: pd.DataFrame) -> float | None:
    """Centre the colours on 0 when the values straddle it (red losing, green winning)."""
    values = grid.to_numpy(float)
    low, high = pd.Series(values.ravel()).min(), pd.Series(values.ravel()).max()
    return 0.0 if low < 0 < high else None


def objective_line(frame: pd.DataFrame, x: str, objective: str) -> go.Figure:
    """One param: the objective against its values."""
    ok = frame[(frame["status"] == "ok") & frame[objective].notna()]
    best = ok.groupby(x)[objective].max().sort_index() if not ok.empty else pd.Series(dtype=float)
    fig = go.Figure(go.Scatter(x=[str(v) for v in best.index], y=best.to_numpy(float), mode="lines+markers",
                               line=dict(color=theme.ACCENT)))
    fig.update_layout(template=theme.TEMPLATE_NAME, height=360, xaxis_title=x, yaxis_title=objective,
                      xaxis_type="category")
    return fig


def read_oos(folder: str | Path) -> pd.Series:
    frame = pd.read_csv(Path(folder) / "oos_equity.csv")
    return pd.Series(frame["equity"].to_numpy(float), index=pd.to_datetime(frame["ts"], utc=True), name="equity")


def oos_figure(equity: pd.Series, folds: pd.DataFrame, capital: float) -> go.Figure:
    """The chained out-of-sample equity, each fold's test period marked."""
    fig = go.Figure(go.Scatter(x=to_ny(equity.index), y=equity.to_numpy(float), mode="lines", name="out of sample",
                               line=dict(color=theme.ACCENT, width=1.6)))
    fig.add_hline(y=capital, line=dict(color=theme.MUTED, width=1, dash="dot"))
    for row in folds.itertuples():
        fig.add_vline(x=pd.Timestamp(str(row.test_start)).tz_localize(EXCHANGE_TZ).value // 10**6,
                      line=dict(color=theme.GRID, width=1))
    fig.update_layout(template=theme.TEMPLATE_NAME, height=360, showlegend=False,
                      yaxis_title="equity (USD)")
    return fig
