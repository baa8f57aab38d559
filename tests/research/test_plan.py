"""Variants (grid order, random draws, the grid limit), ranking, walk-forward folds and the
chained out-of-sample equity, Optuna's seeded batches (SPEC §6.2), without running backtests."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from rbts.dsl.errors import RbtsError
from rbts.runtime.research.ranking import Ranking, check_objective
from rbts.runtime.research.searches import OPTUNA_BATCH, ListSearch, OptunaSearch
from rbts.runtime.research.space import GRID_LIMIT, Search, Space
from rbts.runtime.research.walkforward import chain_equity, make_folds, sessions


def test_grid_numbers_variants_with_the_last_param_fastest():
    space = Space.of({"fast": (5, 9), "slow": (21, 30, 40)})
    assert list(space.grid()) == [
        {"fast": 5, "slow": 21}, {"fast": 5, "slow": 30}, {"fast": 5, "slow": 40},
        {"fast": 9, "slow": 21}, {"fast": 9, "slow": 30}, {"fast": 9, "slow": 40}]
    assert ListSearch(list(space.grid())).variants[4] == {"fast": 9, "slow": 21}  # numbered from 1


def test_no_params_is_one_variant():
    assert list(Space.of({}).grid()) == [{}]


def test_grid_above_the_limit_is_refused_with_a_way_out():
    space = Space.of({"a": range(1000), "b": range(101)})
    assert space.size == 101_000 > GRID_LIMIT
    with pytest.raises(RbtsError, match=r"101,000 combinations, more than 100,000: use --search random:N"):
        list(space.grid())
    assert len(space.draw(5, seed=1)) == 5  # random draws are fine on a big space


def test_random_draws_are_distinct_seeded_and_reproducible():
    space = Space.of({"a": range(10), "b": range(10)})
    first = space.draw(20, seed=3)
    assert len({tuple(v.values()) for v in first}) == 20
    assert space.draw(20, seed=3) == first
    assert space.draw(20, seed=4) != first
    assert space.draw(500, seed=3) == list(space.grid())  # more than there are: all, in grid order


@pytest.mark.parametrize("text, kind, n", [("grid", "grid", None), ("random:5", "random", 5), ("OPTUNA:12", "optuna", 12)])
def test_search_parse(text, kind, n):
    assert Search.parse(text) == Search(kind, n)


@pytest.mark.parametrize("text", ["random", "random:0", "optuna:x", "bayes:4", "grid:3"])
def test_search_parse_errors(text):
    with pytest.raises(RbtsError, match="--search"):
        Search.parse(text)


def row(variant, value, trades=20, status="ok"):
    return {"variant": variant, "sharpe": value, "trades": trades, "status": status}


def test_ranking_min_trades_undefined_errors_and_ties():
    rows = [row(1, 0.5), row(2, 3.0, trades=4), row(3, None), row(4, 0.5), row(5, 9.0, status="error"),
            row(6, 1.0), row(7, None, trades=1), row(8, -2.0)]
    ranked = [r["variant"] for r in Ranking("sharpe", 10).sort(rows)]
    # enough trades by objective (ties: lower variant), then undefined, then too few trades, errors last
    assert ranked == [6, 1, 4, 8, 3, 2, 7, 5]
    assert Ranking("sharpe", 10).best(rows)["variant"] == 6
    assert Ranking("sharpe", 0).best(rows)["variant"] == 2
    assert Ranking().best([row(1, 1.0, status="error")]) is None


def test_max_drawdown_objective_larger_is_better():
    rows = [{"variant": 1, "max_drawdown": -0.20, "trades": 50, "status": "ok"},
            {"variant": 2, "max_drawdown": -0.05, "trades": 50, "status": "ok"}]
    assert Ranking("max_drawdown").best(rows)["variant"] == 2


def test_objective_must_be_a_numeric_metric():
    assert check_objective("calmar") == "calmar"
    for bad in ("start", "warnings", "sharp"):
        with pytest.raises(RbtsError, match="--objective"):
            check_objective(bad)


def test_walk_forward_blocks_rolling_and_anchored():
    days = sessions(date(2025, 3, 3), date(2025, 3, 28))
    assert len(days) == 20
    folds = make_folds(days, 2)  # 3 blocks of 6, the last takes the remainder (8)
    assert [(f.train_start, f.train_end, f.test_start, f.test_end) for f in folds] == [
        (date(2025, 3, 3), date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 18)),
        (date(2025, 3, 11), date(2025, 3, 18), date(2025, 3, 19), date(2025, 3, 28))]
    anchored = make_folds(days, 2, anchored=True)
    assert anchored[1].train_start == date(2025, 3, 3) and anchored[1].train_end == date(2025, 3, 18)
    assert all(f.train_end < f.test_start for f in folds + anchored)  # no bar after train_end is used to choose
    with pytest.raises(RbtsError, match="at least 21 sessions"):
        make_folds(days, 20)


def test_chained_oos_equity_starts_at_the_capital_and_compounds():
    ts = pd.date_range("2025-01-02", periods=3, freq="D", tz="UTC")
    a = pd.Series([10_000.0, 10_500.0, 11_000.0], index=ts)
    b = pd.Series([10_000.0, 9_000.0, 12_000.0], index=ts + pd.Timedelta(days=5))
    chained = chain_equity([a, b], 10_000.0)
    assert chained.iloc[0] == 10_000.0
    assert list(chained.iloc[3:]) == pytest.approx([11_000.0, 9_900.0, 13_200.0], rel=1e-12)  # b scaled by 11,000 / 10,000


def _optuna_rows(search: OptunaSearch, order=lambda batch: batch) -> list[int]:
    """Run the search against a made-up objective; returns the variants' combination indexes."""
    while not search.done:
        batch = search.ready()
        for variant, values in order(batch):
            search.record(variant, row(variant, -((values["a"] - 7) ** 2) - (values.get("b", 3) - 3) ** 2))
    return [tuple(v.values()) for v in search.variants.values()]


def test_optuna_is_seeded_distinct_and_independent_of_finishing_order():
    space = Space.of({"a": tuple(range(20)), "b": tuple(range(10))})
    first = _optuna_rows(OptunaSearch(space, 30, 5, Ranking("sharpe", 0)))
    assert len(first) == len(set(first)) == 30
    assert _optuna_rows(OptunaSearch(space, 30, 5, Ranking("sharpe", 0)), order=lambda b: b[::-1]) == first
    assert _optuna_rows(OptunaSearch(space, 30, 6, Ranking("sharpe", 0))) != first


def test_optuna_batches_and_small_spaces():
    space = Space.of({"a": (1, 2, 3)})
    assert len(OptunaSearch(Space.of({"a": tuple(range(50))}), 20, 1, Ranking()).ready()) == OPTUNA_BATCH
    search = OptunaSearch(space, 10, 1, Ranking("sharpe", 0))
    assert sorted(_optuna_rows(search)) == [(1,), (2,), (3,)]  # only 3 distinct combinations exist
    assert search.total == 3
