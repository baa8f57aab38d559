"""The pre-screen stage of a sweep: every variant screened, the best K kept, rows and summary (SPEC §6.3)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from rbts.runtime.prescreen.stage import SCREENED, PrescreenStage, run_prescreen

TEXT = """\
universe: AAPL, MSFT
cycle: 5m
order: market
let fast = ema(close, {fast}, 5m)
let slow = ema(close, {slow}, 5m)
entry up: fast crosses_above slow
exit down: fast crosses_below slow
"""


@dataclass(frozen=True)
class Template:
    """A sweep strategy as the sweep hands it over: prepare() -> values -> the variant's text."""

    text: str

    def prepare(self):
        return lambda values: self.text.format(**values)


def test_stage_keeps_the_best_k_and_writes_a_row_per_variant(small_demo_home):
    variants = {n: {"fast": f, "slow": s} for n, (f, s) in enumerate(
        [(f, s) for f in (3, 5, 8) for s in (13, 21)] + [(0, 21)], start=1)}  # the last one is invalid
    stage = run_prescreen(Template(TEXT), variants, 2, "total_return", 0, "2025-03-03", "2025-03-07",
                          home=str(small_demo_home))
    assert set(stage.errors) == {7} and "ema" in stage.errors[7]
    returns = {n: stage.values[n] for n in range(1, 7)}
    want = sorted(returns, key=lambda n: (-returns[n], n))[:2]
    assert stage.confirmed == want and list(stage.kept) == sorted(want)
    confirmed_rows = [{"variant": n, "fast": variants[n]["fast"], "slow": variants[n]["slow"], "status": "ok",
                       "total_return": returns[n]} for n in want]
    rows = stage.rows(confirmed_rows, ["fast", "slow"])
    assert [r["variant"] for r in rows] == list(range(1, 8))
    assert [r["status"] for r in rows].count(SCREENED) == 4 and rows[6]["status"] == "error"
    assert all(r["prescreen_total_return"] == stage.values.get(r["variant"]) for r in rows)
    summary = stage.summary(confirmed_rows)
    assert summary["k"] == 2 and summary["variants"] == 7 and summary["errors"] == 1
    assert summary["confirmed"] == sorted(want) and summary["spearman"] == pytest.approx(1.0)
    assert not math.isnan(summary["seconds"])


def test_screened_rows_write_param_values_as_the_language_does():
    from rbts.dsl.load import load_strategy
    from rbts.dsl.params import bind

    checked = load_strategy("universe: AAPL\ncycle: 5m\nparam tf = 5m in [5m, 15m]\nparam sl = 2% in [1%, 2%]\n"
                            "let e = ema(close, 9, tf)\nentry up: close > e\nexit down: close < e\n"
                            "risk: stop_loss sl\n")
    values = {1: {"tf": checked.params["tf"].values[0], "sl": checked.params["sl"].values[0]},
              2: {"tf": checked.params["tf"].values[1], "sl": checked.params["sl"].values[1]}}
    bind(checked, values[2])  # real domain values
    stage = PrescreenStage(1, "sharpe", values, values={1: 0.5, 2: 0.7}, confirmed=[2])
    rows = stage.rows([], ["tf", "sl"])
    assert [(r["tf"], r["sl"], r["status"]) for r in rows] == [("5m", "1%", SCREENED), ("15m", "2%", SCREENED)]
