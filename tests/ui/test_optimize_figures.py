"""The Optimize section's tables and figures, as plain functions of a sweep's rows."""

from __future__ import annotations

import pandas as pd

from rbts.runtime.research.ranking import Ranking
from rbts.ui import optimize_figures as figs


def frame() -> pd.DataFrame:
    rows = []
    n = 0
    for fast in (5, 9):
        for slow in (21, 30):
            for tf in ("1m", "5m"):
                n += 1
                rows.append({"variant": n, "fast": fast, "slow": slow, "tf": tf, "sharpe": float(n) / 2,
                             "trades": 20, "status": "ok", "error": None})
    rows[7].update(status="error", sharpe=None, trades=None, error="boom")
    rows[6].update(trades=3)
    return pd.DataFrame(rows)


def test_ranked_puts_the_best_first_with_the_sweep_rules():
    table = figs.ranked(frame(), Ranking("sharpe", 10))
    assert list(table.columns[:2]) == ["rank", "variant"]
    assert table["variant"].tolist() == [6, 5, 4, 3, 2, 1, 7, 8]  # few trades, then the error, last
    assert table["rank"].tolist() == list(range(1, 9))


def test_objective_grid_takes_the_best_over_other_params_and_skips_errors():
    grid = figs.objective_grid(frame(), "fast", "slow", "sharpe")
    assert grid.index.tolist() == [21, 30] and grid.columns.tolist() == [5, 9]
    # each cell: the max over tf; (9, 30) has variant 7 (3.5) only, 8 failed
    assert grid.loc[21, 5] == 1.0 and grid.loc[30, 5] == 2.0 and grid.loc[21, 9] == 3.0 and grid.loc[30, 9] == 3.5


def test_figures_build():
    grid = figs.objective_grid(frame(), "fast", "tf", "sharpe")
    fig = figs.heatmap_figure(grid, "fast", "tf", "sharpe")
    assert fig.data[0].type == "heatmap" and list(fig.data[0].y) == ["1m", "5m"]
    line = figs.objective_line(frame(), "slow", "sharpe")
    assert list(line.data[0].x) == ["21", "30"]
