"""What a sweep's finished runs say together: the best variant, DSR and PBO, the folds
and the chained out-of-sample equity (pure functions of journal lines)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from rbts.runtime.research import stats
from rbts.runtime.research.ranking import Ranking
from rbts.runtime.research.rows import METRIC_COLUMNS, make_row
from rbts.runtime.research.walkforward import Fold, chain_equity


def overfitting(lines: Sequence[Mapping], best: Mapping | None, with_pbo: bool,
                screened: Mapping[int, float | None] | None = None) -> tuple[float | None, float | None]:
    """(deflated_sharpe of ``best``, pbo) over the ok runs in ``lines``.  ``screened``: variant ->
    daily Sharpe by a pre-screen, when the best was chosen from more variants than were run: each
    counts as a trial, with its run's own Sharpe where it has one."""
    ok = [ln for ln in lines if ln["status"] == "ok" and ln.get("returns") is not None]
    if best is None or not ok:
        return None, None
    trials = {**(screened or {}), **{ln["variant"]: stats.daily_sharpe(_values(ln)) for ln in ok}}
    sharpes = [s for s in trials.values() if s is not None and math.isfinite(s)]
    best_line = next(ln for ln in ok if ln["variant"] == best["variant"])
    dsr = stats.deflated_sharpe(_values(best_line), sharpes)
    value = stats.pbo(return_matrix(ok)) if with_pbo and len(ok) >= 16 else None
    return dsr, value


def _values(line: Mapping) -> np.ndarray:
    return np.array([r for _, r in line["returns"]], dtype=float)


def return_matrix(lines: Sequence[Mapping]) -> np.ndarray:
    """T x N daily returns on the days every run has (columns in the order of ``lines``)."""
    frames = [dict(line["returns"]) for line in lines]
    days = sorted(set.intersection(*(set(f) for f in frames))) if frames else []
    return np.array([[f[d] for f in frames] for d in days], dtype=float).reshape(len(days), len(frames))


def best_entry(row: Mapping | None, params: Sequence[str]) -> dict | None:
    if row is None:
        return None
    return {"variant": int(row["variant"]), "params": {p: row.get(p) for p in params}}


def most_chosen(choices: Sequence[Mapping]) -> Mapping | None:
    """The variant chosen by the most folds (ties: the one a later fold chose)."""
    if not choices:
        return None
    counts = Counter(c["variant"] for c in choices)
    top = max(counts.values())
    return next(c for c in reversed(choices) if counts[c["variant"]] == top)


def fold_row(fold: Fold, train: Sequence[Mapping], test: Mapping | None, ranking: Ranking,
             params: Sequence[str], with_pbo: bool) -> tuple[dict, Mapping | None]:
    """A folds.csv row and the chosen train row."""
    rows = [make_row(ln, params) for ln in train]
    chosen = ranking.best(rows)
    dsr, pbo = overfitting(train, chosen, with_pbo)
    out = {"fold": fold.number, "train_start": fold.train_start.isoformat(), "train_end": fold.train_end.isoformat(),
           "test_start": fold.test_start.isoformat(), "test_end": fold.test_end.isoformat(),
           **{p: (chosen or {}).get(p) for p in params},
           "train_objective": ranking.value(chosen) if chosen else None, "deflated_sharpe": dsr, "pbo": pbo}
    if test is not None:
        metrics = test.get("metrics") or {}
        for key in METRIC_COLUMNS:
            if key not in ("start", "end"):
                value = metrics.get(key)
                out[f"test_{key}"] = "; ".join(value) if key == "warnings" else value
        if test["status"] != "ok":
            out["test_warnings"] = f"test run failed: {test.get('error')}"
    return out, chosen


def oos_equity(tests: Sequence[Mapping]) -> pd.Series:
    """The ok test runs' equity curves chained in fold order."""
    curves, capital = [], None
    for line in sorted(tests, key=lambda ln: ln["fold"]):
        if line["status"] != "ok" or not line.get("equity"):
            continue
        capital = capital or float(line["metrics"]["initial_capital"])
        ts, eq = zip(*line["equity"])
        curves.append(pd.Series(eq, index=pd.to_datetime(list(ts), unit="ns", utc=True)))
    return chain_equity(curves, capital or 1.0)


def oos_csv(series: pd.Series) -> str:
    frame = pd.DataFrame({"ts": [t.isoformat() for t in series.index], "equity": series.to_numpy(float)})
    return frame.to_csv(index=False, lineterminator="\n")
