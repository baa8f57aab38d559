"""``rbts sweep --prescreen K`` (SPEC §6.3): screen every variant, confirm the best K in Nautilus.

The sweep hands over its variants (variant number -> param values); :func:`run_prescreen`
pre-screens them all, ranks them by the sweep's objective and rules (SPEC §6.2) and
keeps the best K as the list the sweep runs as ordinary backtests.  Afterwards
:meth:`PrescreenStage.rows` puts a ``prescreen_<objective>`` column on every row of
results.csv (a row per variant: the unconfirmed ones with status ``screened``) and
:meth:`PrescreenStage.summary` gives sweep.json's ``prescreen`` block with the Spearman rank
correlation between pre-screen and Nautilus over the confirmed variants.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from rbts.dsl.errors import RbtsError
from rbts.runtime.backtest.metrics import DAYS_PER_YEAR
from rbts.runtime.prescreen.ranks import best_variants, spearman

SCREENED = "screened"  # results.csv status of a variant that was pre-screened but not confirmed


@dataclass
class PrescreenStage:
    k: int
    objective: str
    variants: dict[int, dict]  # every variant: number -> values
    values: dict[int, float | None] = field(default_factory=dict)  # the pre-screen's objective
    sharpes: dict[int, float | None] = field(default_factory=dict)  # the pre-screen's (annualised) sharpe
    errors: dict[int, str] = field(default_factory=dict)  # variants that could not be compiled
    confirmed: list[int] = field(default_factory=list)  # best first
    seconds: float = 0.0
    details: dict = field(default_factory=dict)

    @property
    def column(self) -> str:
        return f"prescreen_{self.objective}"

    @property
    def kept(self) -> dict[int, dict]:
        """The variants the sweep runs in Nautilus (in variant order)."""
        return {n: self.variants[n] for n in sorted(self.confirmed)}

    def rows(self, confirmed_rows: Sequence[dict], params: Sequence[str]) -> list[dict]:
        """results.csv: a row per variant, the pre-screen's objective on each; param values written as
        the confirmed rows have them (``5m``, ``2%``)."""
        from rbts.runtime.research.space import json_value

        by_variant = {r["variant"]: dict(r) for r in confirmed_rows}
        out = []
        for n, values in self.variants.items():
            row = by_variant.get(n) or {"variant": n, **{p: json_value(values.get(p)) for p in params},
                                        "status": "error" if n in self.errors else SCREENED,
                                        "error": self.errors.get(n, "")}
            row[self.column] = self.values.get(n)
            out.append(row)
        return out

    def daily_sharpes(self) -> dict[int, float | None]:
        """Every screened variant's daily Sharpe ratio by the pre-screen (metrics.json's sharpe is the
        daily Sharpe x sqrt(252)), for the deflated Sharpe ratio's trials."""
        return {n: None if self.sharpes.get(n) is None else self.sharpes[n] / math.sqrt(DAYS_PER_YEAR)
                for n in self.variants}

    def summary(self, confirmed_rows: Sequence[Mapping]) -> dict:
        done = [r for r in confirmed_rows if r.get("status") == "ok" and r["variant"] in self.values]
        rho = spearman([_number(self.values[r["variant"]]) for r in done],
                       [_number(r.get(self.objective)) for r in done])
        return {"k": self.k, "variants": len(self.variants), "objective": self.objective,
                "confirmed": sorted(self.confirmed), "spearman": rho, "seconds": round(self.seconds, 3),
                "errors": len(self.errors), "screen": self.details}


def _number(value) -> float:
    return float("nan") if value is None else float(value)


def run_prescreen(strategy, variants: Mapping[int, dict], k: int, objective: str, min_trades: int, start, end, *,
                  home: str, capital: float | None = None, tickers: Sequence[str] | None = None,
                  progress: Callable[[int, int], None] | None = None) -> PrescreenStage:
    """Pre-screen every variant of ``strategy`` (a sweep strategy: ``prepare()`` -> values -> variant)."""
    from rbts.runtime.prescreen.screen import screen

    started = time.perf_counter()
    stage = PrescreenStage(k, objective, dict(variants))
    make = strategy.prepare()
    numbers, checked = [], []
    for n, values in stage.variants.items():
        try:
            checked.append(_checked(make(values)))
            numbers.append(n)
        except RbtsError as exc:
            stage.errors[n] = exc.render().splitlines()[0]
    if checked:
        result = screen(checked, start, end, capital=capital, symbols=list(tickers) if tickers else None,
                        home=home, progress=progress)
        table = result.table
        objective_values = table[objective].tolist()
        for n, value, sharpe in zip(numbers, objective_values, table["sharpe"].tolist()):
            stage.values[n] = None if value != value else float(value)
            stage.sharpes[n] = None if sharpe != sharpe else float(sharpe)
        best = best_variants(objective_values, table["trades"].tolist(), k, min_trades)
        stage.confirmed = [numbers[i] for i in best]
        stage.details = {"timings": {key: round(v, 3) for key, v in result.timings.items()}, **result.counts}
    stage.seconds = time.perf_counter() - started
    return stage


def _checked(variant):
    """A CheckedStrategy from what a sweep strategy makes of one variant's values (text or checked)."""
    if isinstance(variant, str):
        from rbts.dsl.load import load_strategy

        return load_strategy(variant)
    return variant
