"""Sweeps on local worker processes, end to end on the small demo catalog (SPEC §6.2).

The strategy declares its params (tests/support/sweep_cases.py); each variant is ``bind``."""

from __future__ import annotations

import csv
import json
from datetime import date

import pandas as pd
import pytest
from support.sweep_cases import PARAMS, DyingStrategy
from support.sweep_cases import variant as bound_variant

from rbts.dsl.errors import RbtsError
from rbts.runtime.backtest.metrics import METRIC_KEYS
from rbts.runtime.backtest.runner import run_backtest
from rbts.runtime.research import stats
from rbts.runtime.research.local import LocalExecutor
from rbts.runtime.research.ranking import Ranking
from rbts.runtime.research.space import Space
from rbts.runtime.research.sweep import Sweep, SweepRequest
from rbts.runtime.research.tasks import ParamStrategy

pytestmark = pytest.mark.slow

START, END = date(2025, 3, 3), date(2025, 3, 14)
SPACE = Space.of({"fast": (5, 9), "slow": (21, 30)})


def request(home, out, **changes) -> SweepRequest:
    base = dict(strategy=ParamStrategy(PARAMS), space=SPACE, start=START, end=END, home=str(home), out=out,
                fingerprint="template-1", ranking=Ranking("sharpe", 0))
    return SweepRequest(**{**base, **changes})


def read_csv(path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def same_metrics(row: dict, metrics: dict) -> None:
    """A results.csv row holds the backtest's metrics bit for bit (floats are written in full)."""
    for key in METRIC_KEYS:
        expected = metrics[key]
        if expected is None:
            assert row[key] == "", key
        elif isinstance(expected, str):
            assert row[key] == expected, key
        else:
            assert type(expected)(row[key]) == expected, key


@pytest.fixture(scope="module")
def grid(small_demo_home, tmp_path_factory):
    out = tmp_path_factory.mktemp("grid") / "sweep"
    outcome = Sweep(request(small_demo_home, out), LocalExecutor(2)).run()
    return outcome, out


def test_grid_files_and_columns(grid):
    outcome, out = grid
    assert outcome.status == "finished"
    rows = read_csv(out / "results.csv")
    assert list(rows[0]) == ["variant", "fast", "slow", *METRIC_KEYS, "warnings", "status", "error"]
    assert [(r["variant"], r["fast"], r["slow"]) for r in rows] == [
        ("1", "5", "21"), ("2", "5", "30"), ("3", "9", "21"), ("4", "9", "30")]
    assert {r["status"] for r in rows} == {"ok"}
    data = json.loads((out / "sweep.json").read_text())
    for key in ("file", "tickers", "start", "end", "space", "search", "seed", "objective", "executor", "counts",
                "best", "deflated_sharpe", "pbo", "timings"):
        assert key in data
    assert data["space"] == {"fast": [5, 9], "slow": [21, 30]}
    assert data["executor"] == {"kind": "local", "workers": 2}
    assert data["counts"]["ok"] == 4 and data["status"] == "finished"
    assert data["pbo"] is None  # fewer than 16 ok variants


def test_each_variant_is_the_plain_backtest_bit_for_bit(grid, small_demo_home):
    _, out = grid
    rows = read_csv(out / "results.csv")
    for row in (rows[0], rows[3]):
        same_metrics(row, run_backtest(bound_variant(row["fast"], row["slow"]), START, END, home=small_demo_home).metrics)


def test_best_and_deflated_sharpe_from_the_rows(grid):
    _, out = grid
    rows = read_csv(out / "results.csv")
    data = json.loads((out / "sweep.json").read_text())
    best = max(rows, key=lambda r: (float(r["sharpe"]), -int(r["variant"])))
    assert data["best"] == {"variant": int(best["variant"]), "params": {"fast": int(best["fast"]),
                                                                         "slow": int(best["slow"])}}
    assert (out / "best.rbts").read_text() == PARAMS.replace("param fast = 9 in", f"param fast = {best['fast']} in") \
        .replace("param slow = 21 in", f"param slow = {best['slow']} in")
    lines = [json.loads(x) for x in (out / "journal.jsonl").read_text().splitlines()]
    returns = {ln["variant"]: [r for _, r in ln["returns"]] for ln in lines}
    for ln in lines:  # the journal's daily returns give metrics.json's sharpe
        assert stats.daily_sharpe(returns[ln["variant"]]) * 252**0.5 == pytest.approx(ln["metrics"]["sharpe"], rel=1e-12)
    sharpes = [stats.daily_sharpe(r) for r in returns.values()]
    assert data["deflated_sharpe"] == stats.deflated_sharpe(returns[int(best["variant"])], sharpes)


def test_failing_and_dying_variants_become_error_rows(small_demo_home, tmp_path):
    strategy = DyingStrategy(PARAMS, marker_dir=str(tmp_path), once=(9,), always=(12,))
    space = Space.of({"fast": (0, 5, 9, 12), "slow": (21,)})
    outcome = Sweep(request(small_demo_home, tmp_path / "out", strategy=strategy, space=space,
                            end=date(2025, 3, 7)), LocalExecutor(2)).run()
    assert outcome.status == "finished"
    rows = {r["fast"]: r for r in read_csv(tmp_path / "out" / "results.csv")}
    assert rows["0"]["status"] == "error"  # a variant that cannot be bound
    assert "param fast: 0 is outside its domain [4, 5, 6, 7, 9, 12]" in rows["0"]["error"]
    assert rows["5"]["status"] == "ok"
    assert rows["9"]["status"] == "ok"  # its worker died once: run again on a fresh worker
    assert rows["12"]["status"] == "error"
    assert rows["12"]["error"] == "the worker running this variant died 2 times (exit code -9)"
    assert json.loads((tmp_path / "out" / "sweep.json").read_text())["counts"]["error"] == 2


def test_stop_keeps_finished_rows_and_the_same_out_resumes(small_demo_home, tmp_path):
    out = tmp_path / "out"
    executor = LocalExecutor(2)
    sweep = Sweep(request(small_demo_home, out, end=date(2025, 3, 7)), executor)
    sweep.on_progress = lambda state: sweep.stop("stopped by the test") if state.done >= 1 else None
    first = sweep.run()
    assert first.status == "interrupted"
    assert all(not p.is_alive() for p in [w.process for w in executor._pool]) or executor._pool == []
    kept = read_csv(out / "results.csv")
    assert 1 <= len(kept) < 4 and json.loads((out / "sweep.json").read_text())["status"] == "interrupted"

    second = Sweep(request(small_demo_home, out, end=date(2025, 3, 7)), LocalExecutor(2)).run()
    assert second.status == "finished"
    assert second.summary["counts"]["resumed"] == len(kept)
    rows = read_csv(out / "results.csv")
    assert [r["variant"] for r in rows] == ["1", "2", "3", "4"]
    for before in kept:  # finished rows were not run again
        assert next(r for r in rows if r["variant"] == before["variant"]) == before
    journal = (out / "journal.jsonl").read_text().splitlines()
    assert len(journal) == 4


def test_a_changed_strategy_or_range_is_refused(small_demo_home, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "sweep.json").write_text(json.dumps({"identity": request(small_demo_home, out).identity()}))
    with pytest.raises(RbtsError, match=r"holds a different sweep \(changed: strategy\)"):
        Sweep(request(small_demo_home, out, fingerprint="template-2"), LocalExecutor(1)).run()
    with pytest.raises(RbtsError, match=r"changed: end"):
        Sweep(request(small_demo_home, out, end=date(2025, 3, 13)), LocalExecutor(1)).run()
    assert sorted(p.name for p in out.iterdir()) == ["sweep.json"]  # nothing written
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(RbtsError, match="not empty and holds no sweep.json"):
        Sweep(request(small_demo_home, tmp_path / "other"), LocalExecutor(1)).run()


def test_walk_forward_folds_and_chained_out_of_sample_equity(small_demo_home, tmp_path):
    out = tmp_path / "wf"
    space = Space.of({"fast": (5, 9), "slow": (21,)})
    outcome = Sweep(request(small_demo_home, out, space=space, end=date(2025, 3, 28), walk_forward=2),
                    LocalExecutor(2)).run()
    assert outcome.status == "finished"
    results = read_csv(out / "results.csv")
    assert list(results[0])[:4] == ["fold", "variant", "fast", "slow"] and len(results) == 4
    folds = read_csv(out / "folds.csv")
    assert list(folds[0])[:10] == ["fold", "train_start", "train_end", "test_start", "test_end", "fast", "slow",
                                   "train_objective", "deflated_sharpe", "pbo"]
    assert "test_sharpe" in folds[0] and "test_start" in folds[0] and "test_end" not in list(folds[0])[10:]
    curves = []
    for fold in folds:
        train = [r for r in results if r["fold"] == fold["fold"]]
        chosen = max(train, key=lambda r: (float(r["sharpe"]), -int(r["variant"])))
        assert (fold["fast"], float(fold["train_objective"])) == (chosen["fast"], float(chosen["sharpe"]))
        test = run_backtest(bound_variant(fold["fast"], 21), fold["test_start"], fold["test_end"],
                            home=small_demo_home)
        same_metrics({k.removeprefix("test_"): v for k, v in fold.items() if k.startswith("test_")} |
                     {"start": test.metrics["start"], "end": test.metrics["end"]}, test.metrics)
        curves.append(test.equity["equity"])
    oos = pd.read_csv(out / "oos_equity.csv")
    assert list(oos.columns) == ["ts", "equity"] and oos["equity"].iloc[0] == curves[0].iloc[0]
    expected = pd.concat([curves[0], curves[1] * (curves[0].iloc[-1] / 10_000.0)]).to_numpy()
    assert oos["equity"].to_numpy() == pytest.approx(expected, rel=1e-12)
    data = json.loads((out / "sweep.json").read_text())
    assert data["deflated_sharpe"] is None and data["pbo"] is None
    assert data["walk_forward"] == {"folds": 2, "anchored": False}


def test_optuna_sweep_runs_distinct_seeded_trials(small_demo_home, tmp_path):
    from rbts.runtime.research.searches import OptunaSearch
    from rbts.runtime.research.space import Search

    space = Space.of({"fast": (5, 7, 9, 12), "slow": (21, 30)})
    out = tmp_path / "opt"
    outcome = Sweep(request(small_demo_home, out, space=space, end=date(2025, 3, 5), search=Search("optuna", 3),
                            seed=11), LocalExecutor(2)).run()
    assert outcome.status == "finished" and outcome.summary["search"] == "optuna:3"
    rows = read_csv(out / "results.csv")
    assert [r["variant"] for r in rows] == ["1", "2", "3"]
    assert len({(r["fast"], r["slow"]) for r in rows}) == 3
    assert outcome.summary["pbo"] is None  # PBO is for grid and random sweeps
    # the same seed fed the same results asks for the same variants, whatever ran them
    replay = OptunaSearch(space, 3, 11, Ranking("sharpe", 0))
    by_variant = {r["variant"]: {**r, "variant": int(r["variant"]), "sharpe": float(r["sharpe"] or "nan"),
                                 "trades": int(r["trades"])} for r in rows}
    while not replay.done:
        for variant, _ in replay.ready():
            replay.record(variant, by_variant[str(variant)])
    assert [(str(v["fast"]), str(v["slow"])) for v in replay.variants.values()] == [(r["fast"], r["slow"]) for r in rows]


def test_sixteen_variants_give_pbo_and_dsr_from_their_daily_returns(small_demo_home, tmp_path):
    space = Space.of({"fast": (4, 6, 9, 12), "slow": (18, 21, 26, 30)})
    out = tmp_path / "pbo"
    outcome = Sweep(request(small_demo_home, out, space=space, end=date(2025, 3, 24)), LocalExecutor(2)).run()
    assert outcome.summary["counts"]["ok"] == 16
    lines = sorted((json.loads(x) for x in (out / "journal.jsonl").read_text().splitlines()), key=lambda ln: ln["variant"])
    matrix = [[r for _, r in ln["returns"]] for ln in lines]
    assert {len(m) for m in matrix} == {16}  # 16 sessions: blocks of one day
    import numpy as np

    assert outcome.summary["pbo"] == stats.pbo(np.array(matrix).T)
    best = outcome.summary["best"]["variant"]
    sharpes = [stats.daily_sharpe(m) for m in matrix]
    assert outcome.summary["deflated_sharpe"] == stats.deflated_sharpe(matrix[best - 1], sharpes)
    assert 0.0 <= outcome.summary["pbo"] <= 1.0
