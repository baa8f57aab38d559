"""How a sweep picks its variants: a fixed list (grid, random:N) or Optuna's seeded TPE.

A search hands out variants to run (``ready``) and learns each finished row
(``record``).  Optuna runs trials in batches of :data:`OPTUNA_BATCH`: it asks a batch,
and tells the batch's results in variant order once all of them are in, so the trials,
and so the results, do not depend on the executor or on the number of workers.
"""

from __future__ import annotations

from collections.abc import Mapping

from rbts.runtime.research.ranking import Ranking
from rbts.runtime.research.space import Search, Space

OPTUNA_BATCH = 8
OPTUNA_MAX_ASKS = 10  # per trial wanted: TPE repeating combinations of a small space


class ListSearch:
    """Every variant known up front: the grid, or random draws."""

    def __init__(self, variants: list[dict]) -> None:
        self.variants = {n: v for n, v in enumerate(variants, start=1)}
        self._handed = False
        self._left = set(self.variants)

    @classmethod
    def numbered(cls, variants: dict[int, dict]) -> ListSearch:
        """Variants that keep their numbers (the best K of a pre-screened grid)."""
        search = cls([])
        search.variants = dict(variants)
        search._left = set(variants)
        return search

    @property
    def total(self) -> int:
        return len(self.variants)

    def ready(self) -> list[tuple[int, dict]]:
        if self._handed:
            return []
        self._handed = True
        return list(self.variants.items())

    def record(self, variant: int, row: Mapping) -> None:
        self._left.discard(variant)

    @property
    def done(self) -> bool:
        return self._handed and not self._left


class OptunaSearch:
    """``optuna:N``: N distinct variants from Optuna's TPE sampler seeded with ``seed``.

    A trial that repeats an earlier combination is told that combination's result and is
    not run again.  Failed variants, and those with too few trades or an undefined
    objective, are told as failed trials (TPE models only qualifying ones)."""

    def __init__(self, space: Space, trials: int, seed: int, ranking: Ranking) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._optuna = optuna
        self.space, self.trials, self.ranking = space, trials, ranking
        self.study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
        self.variants: dict[int, dict] = {}
        self._by_combo: dict[tuple[int, ...], int] = {}
        self._rows: dict[int, Mapping] = {}
        self._batch: list[tuple[object, int]] = []  # (trial, variant) waiting to be told
        self._asks = 0

    @property
    def total(self) -> int:
        return self.trials if not self._exhausted else len(self.variants)

    @property
    def _exhausted(self) -> bool:
        return self._asks >= self.trials * OPTUNA_MAX_ASKS or len(self.variants) >= self.space.size

    def ready(self) -> list[tuple[int, dict]]:
        if self._batch or self.done:
            return []
        new: list[tuple[int, dict]] = []
        while len(new) < OPTUNA_BATCH and len(self.variants) < self.trials and not self._exhausted:
            trial = self.study.ask()
            self._asks += 1
            combo = tuple(trial.suggest_int(name, 0, len(vals) - 1)
                          for name, vals in zip(self.space.names, self.space.values))
            variant = self._by_combo.get(combo)
            if variant is None:
                variant = len(self.variants) + 1
                self._by_combo[combo] = variant
                self.variants[variant] = {n: vals[i] for n, vals, i in zip(self.space.names, self.space.values, combo)}
                new.append((variant, self.variants[variant]))
            self._batch.append((trial, variant))
        self._tell_if_complete()
        return new

    def record(self, variant: int, row: Mapping) -> None:
        self._rows[variant] = row
        self._tell_if_complete()

    def _tell_if_complete(self) -> None:
        if not all(v in self._rows for _, v in self._batch):
            return
        for trial, variant in sorted(self._batch, key=lambda tv: tv[0].number):
            row = self._rows[variant]
            value = self.ranking.value(row)
            if value is None or not self.ranking.qualifies(row):
                self.study.tell(trial, state=self._optuna.trial.TrialState.FAIL)
            else:
                self.study.tell(trial, value)
        self._batch = []

    @property
    def done(self) -> bool:
        finished = len(self.variants) >= self.trials or self._exhausted
        return finished and not self._batch and all(v in self._rows for v in self.variants)


def make_search(search: Search, space: Space, seed: int, ranking: Ranking):
    if search.kind == "optuna":
        return OptunaSearch(space, search.trials, seed, ranking)
    if search.kind == "random":
        return ListSearch(space.draw(search.trials, seed))
    return ListSearch(list(space.grid()))
