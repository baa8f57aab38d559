"""The pre-screen's metrics for many variants at once equal metrics.json's, variant by variant."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from rbts.runtime.backtest.metrics import compute_metrics
from rbts.runtime.prescreen.metrics import NUMERIC_KEYS, metrics_table


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.integers(1, 5))
def test_every_metric_equals_compute_metrics(seed, n_days, n_variants):
    rng = np.random.default_rng(seed)
    capital = 10_000.0
    days = pd.bdate_range("2025-03-03", periods=n_days)
    # one cycle per day at 16:00 New York; some curves flat (undefined ratios), some losing everything
    daily = capital * np.exp(np.cumsum(rng.normal(0, 0.01, (n_variants, n_days)), axis=1))
    daily[0] = capital if n_variants > 1 else daily[0]
    pnls = [np.round(rng.normal(0, 5, rng.integers(0, 6)), 2) for _ in range(n_variants)]
    invested = rng.random((n_variants, n_days)) < 0.5
    stats = {
        "final_equity": daily[:, -1], "trades": np.array([len(p) for p in pnls], dtype=float),
        "wins": np.array([(p > 0).sum() for p in pnls], dtype=float),
        "win_sum": np.array([p[p > 0].sum() for p in pnls]), "loss_sum": np.array([p[p < 0].sum() for p in pnls]),
        "pnl_sum": np.array([p.sum() for p in pnls]), "invested_cycles": invested.sum(axis=1).astype(float),
    }
    start, end = date(2025, 3, 3), days[-1].date()
    table = metrics_table(daily, stats, n_days, capital, start, end)
    ts = pd.DatetimeIndex([pd.Timestamp(f"{d.date()} 16:00", tz="America/New_York") for d in days]).tz_convert("UTC")
    for v in range(n_variants):
        want = compute_metrics(start, end, capital, ts, daily[v], invested[v], pnls[v].tolist())
        for key in NUMERIC_KEYS:
            got = table[key][v]
            if want[key] is None:
                assert math.isnan(got), key
            else:
                assert math.isclose(got, want[key], rel_tol=1e-12, abs_tol=1e-12), (key, got, want[key])
