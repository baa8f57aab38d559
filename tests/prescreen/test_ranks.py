"""Ranking and the rank correlation of the pre-screen."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from rbts.runtime.prescreen.ranks import best_variants, spearman


def test_best_variants_follow_the_sweep_order():
    objective = [1.0, 3.0, float("nan"), 3.0, 5.0, 2.0]
    trades = [20, 20, 20, 20, 3, 20]
    # 5.0 has too few trades; nan is undefined; 3.0 twice: the lower variant first
    assert best_variants(objective, trades, 6, min_trades=10) == [1, 3, 5, 0, 2, 4]
    assert best_variants(objective, trades, 2, min_trades=0) == [4, 1]


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 5), st.integers(-5, 5)), min_size=2, max_size=30))
def test_spearman_equals_pearson_of_pandas_ranks(pairs):
    a, b = (pd.Series(x, dtype=float) for x in zip(*pairs))
    ra, rb = a.rank(method="average"), b.rank(method="average")
    want = float("nan") if ra.std() == 0 or rb.std() == 0 else ra.corr(rb)
    got = spearman(a.to_numpy(), b.to_numpy())
    if want != want:
        assert got is None
    else:
        assert math.isclose(got, want, abs_tol=1e-12)


def test_spearman_skips_undefined_pairs():
    assert spearman([1, 2, float("nan"), 4], [10, 20, 5, 40]) == 1.0
    assert spearman([1], [2]) is None


def test_the_rank_correlation_in_words():
    from rbts.runtime.prescreen.ranks import reading

    assert "in Nautilus' order (rank correlation 0.950)" in reading(0.95, 16)
    assert "differs from Nautilus'" in reading(0.5, 16) and "larger K" in reading(0.5, 16)
    assert "too few to judge" in reading(1.0, 3)
    assert "undefined" in reading(None, 16)
