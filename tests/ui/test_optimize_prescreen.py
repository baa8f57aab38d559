"""The pre-screen in the Optimize section: the confirmed variants side by side, the agreement
figure, the heatmap over every screened variant, and the rendering of a sweep's files."""

from __future__ import annotations

import json

import pandas as pd
from streamlit.testing.v1 import AppTest

from rbts.ui.optimize_prescreen import agreement_figure, prescreen_heatmap_frame, side_by_side


def results() -> pd.DataFrame:
    """results.csv of `--prescreen 3` over 6 variants: 2, 4 and 5 confirmed (5 failed in Nautilus),
    6 did not compile."""
    rows = [
        (1, 5, 21, 0.1, None, None, "screened"),
        (2, 5, 30, 0.9, 0.8, 12, "ok"),
        (3, 9, 21, 0.2, None, None, "screened"),
        (4, 9, 30, 0.7, 0.75, 10, "ok"),
        (5, 12, 21, 0.5, None, None, "error"),
        (6, 12, 30, None, None, None, "error"),
    ]
    return pd.DataFrame([{"variant": v, "fast": f, "slow": s, "sharpe": n, "trades": t, "prescreen_sharpe": p,
                          "status": st} for v, f, s, p, n, t, st in rows])


def test_side_by_side_has_the_confirmed_with_both_figures_and_ranks():
    table = side_by_side(results(), "sharpe", [2, 4, 5], ["fast", "slow"])
    assert table["variant"].tolist() == [2, 4, 5]  # best pre-screen first
    assert table["pre-screen"].tolist() == [0.9, 0.7, 0.5]
    assert table["Nautilus"].tolist()[:2] == [0.8, 0.75] and pd.isna(table["Nautilus"][2])
    assert table["pre-screen rank"].tolist() == [1, 2, 3]
    assert table["Nautilus rank"].tolist()[:2] == [1, 2] and pd.isna(table["Nautilus rank"][2])
    assert table[["fast", "slow"]].values.tolist() == [[5, 30], [9, 30], [12, 21]]


def test_agreement_figure_has_the_diagonal_and_a_dot_per_confirmed_ok_variant():
    fig = agreement_figure(side_by_side(results(), "sharpe", [2, 4, 5], ["fast", "slow"]), "sharpe")
    diagonal, dots = fig.data
    assert list(diagonal.x) == list(diagonal.y) == [0.7, 0.9]
    assert list(dots.x) == [0.9, 0.7] and list(dots.y) == [0.8, 0.75] and list(dots.customdata) == [2, 4]


def test_heatmap_frame_uses_the_prescreen_figure_of_every_screened_variant():
    frame = prescreen_heatmap_frame(results(), "sharpe")
    assert frame["sharpe"].tolist()[:5] == [0.1, 0.9, 0.2, 0.7, 0.5] and pd.isna(frame["sharpe"][5])
    assert frame["status"].tolist() == ["ok", "ok", "ok", "ok", "error", "error"]


def _app(folder) -> AppTest:
    def script(path: str) -> None:
        import json
        from pathlib import Path

        from rbts.ui.optimize_figures import read_results
        from rbts.ui.optimize_prescreen import render_prescreen

        render_prescreen(read_results(path), json.loads((Path(path) / "sweep.json").read_text()), ["fast", "slow"])

    return AppTest.from_function(script, args=(str(folder),), default_timeout=60)


def test_render_shows_counts_rank_correlation_table_and_figure(tmp_path):
    results().to_csv(tmp_path / "results.csv", index=False)
    block = {"k": 3, "variants": 6, "objective": "sharpe", "confirmed": [2, 4, 5], "spearman": 1.0,
             "seconds": 1.25, "errors": 1, "screen": {}}
    (tmp_path / "sweep.json").write_text(json.dumps({"prescreen": block, "spearman": 1.0}))
    at = _app(tmp_path).run()
    assert not at.exception, at.exception
    assert "6 variants screened in 1.2 s, the best 3 confirmed" in at.markdown[0].value
    assert [m.value for m in at.metric] == ["6", "3", "1.000"]
    # only 2 confirmed variants ran: too few to judge the order, said as a warning
    assert "too few to judge" in at.warning[0].value
    assert at.dataframe[0].value["variant"].tolist() == [2, 4, 5]
    assert len(at.get("plotly_chart")) == 1


def test_the_variants_table_shows_status_and_prescreen_figure_beside_the_params():
    from rbts.ui.optimize_prescreen import screened_columns_first

    frame = screened_columns_first(results().assign(rank=range(1, 7)), ["fast", "slow"], "sharpe")
    assert list(frame.columns) == ["rank", "variant", "fast", "slow", "status", "prescreen_sharpe", "sharpe", "trades"]
    assert len(frame) == 6
