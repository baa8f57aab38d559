"""The variants of a sweep: the params' domains, the grid, random draws (SPEC §6.2).

A space is an ordered list of (param name, values in domain order).  Variant numbers
start at 1 in the order of the grid (the last param varies fastest) or of drawing.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from rbts.dsl.errors import RbtsError

GRID_LIMIT = 100_000


@dataclass(frozen=True)
class Space:
    names: tuple[str, ...]
    values: tuple[tuple, ...]  # per param, every value to try, in domain order

    @classmethod
    def of(cls, domains: Mapping[str, Sequence]) -> Space:
        """A space from ``{name: values}`` (in the params' declaration order)."""
        names = tuple(domains)
        values = tuple(tuple(domains[n]) for n in names)
        for name, vals in zip(names, values):
            if not vals:
                raise RbtsError(f"param {name}: no values to try")
        return cls(names, values)

    @property
    def size(self) -> int:
        """Number of combinations (1 for a strategy without params: the one default run)."""
        return math.prod(len(v) for v in self.values)

    def combination(self, index: int) -> dict[str, object]:
        """The grid's ``index``-th combination (0-based, the last param varies fastest)."""
        out: dict[str, object] = {}
        for name, vals in reversed(list(zip(self.names, self.values))):
            index, digit = divmod(index, len(vals))
            out[name] = vals[digit]
        return {name: out[name] for name in self.names}

    def grid(self) -> Iterator[dict[str, object]]:
        if self.size > GRID_LIMIT:
            raise RbtsError(f"the grid has {self.size:,} combinations, more than {GRID_LIMIT:,}: "
                            "use --search random:N or --search optuna:N")
        for index in range(self.size):
            yield self.combination(index)

    def draw(self, n: int, seed: int) -> list[dict[str, object]]:
        """``n`` distinct combinations drawn with ``seed`` (all of them, in grid order, when n >= size)."""
        if n >= self.size:
            return list(self.grid())
        picks = random.Random(seed).sample(range(self.size), n)
        return [self.combination(i) for i in picks]

    def as_json(self) -> dict[str, list]:
        return {name: [json_value(v) for v in vals] for name, vals in zip(self.names, self.values)}


def json_value(value: object) -> object:
    """A param value as it goes into sweep.json and results.csv: numbers stay numbers,
    anything else (a duration, a percent) is written as it is in the language (``5m``, ``2%``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 2**53 else value
    text = getattr(value, "text", None)
    if text is not None:
        return text() if callable(text) else text
    return str(value)


@dataclass(frozen=True)
class Search:
    """``grid``, ``random:N`` or ``optuna:N``."""

    kind: str
    trials: int | None = None

    @classmethod
    def parse(cls, text: str) -> Search:
        text = (text or "grid").strip().lower()
        if text == "grid":
            return cls("grid")
        kind, _, count = text.partition(":")
        if kind in ("random", "optuna"):
            try:
                n = int(count)
            except ValueError:
                n = 0
            if n >= 1:
                return cls(kind, n)
            raise RbtsError(f"--search {text}: expected {kind}:N with N a whole number >= 1")
        raise RbtsError(f"--search {text}: expected grid, random:N or optuna:N")

    @property
    def text(self) -> str:
        return self.kind if self.trials is None else f"{self.kind}:{self.trials}"
