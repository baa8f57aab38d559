"""Rule traces: per cycle, each rule's state and the values behind it (SPEC §3).

``trace_strategy(checked, frames, symbol)`` is what ``rbts trace`` and the UI's
rule charts call.  Its ``frame`` has one row per cycle: ``ts`` (UTC), one column
per rule (``"true"``/``"false"``/``"warming"``) in file order, then one column per
``let`` and function call (by canonical text, NaN while warming).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rbts.compiler.explain import Explanation
from rbts.compiler.program import Program, compile_strategy
from rbts.compiler.protocol import STATE_NAMES
from rbts.compiler.vector import VectorResult, explain
from rbts.dsl.errors import RbtsError


@dataclass
class TraceResult:
    symbol: str
    rules: list[str]
    columns: list[str]
    frame: pd.DataFrame  # ts, rule columns (str), value columns (float)
    result: VectorResult
    offset: int = 0  # cycles of the warm-up prefix: evaluated, not reported

    @property
    def codes(self) -> dict[str, np.ndarray]:
        """rule -> state per cycle as 0 (false), 1 (true), 2 (warming)."""
        return {name: self.result.rule_states(name, self._rule_symbol(name))[self.offset:] for name in self.rules}

    def _rule_symbol(self, name: str) -> str | None:
        return None if self.result.graph.rule_scope(name) == "global" else self.symbol

    def changes(self) -> pd.DataFrame:
        """The rows where any rule's state differs from the previous cycle (and the first row)."""
        if self.frame.empty:
            return self.frame
        codes = np.vstack(list(self.codes.values())) if self.rules else np.zeros((0, len(self.frame)))
        changed = np.r_[True, (codes[:, 1:] != codes[:, :-1]).any(axis=0)] if len(self.frame) else []
        return self.frame[changed]

    def last_true(self, rule: str) -> pd.Timestamp | None:
        """When ``rule`` was last true, or None."""
        hits = np.flatnonzero(self.codes[rule] == 1)
        return None if len(hits) == 0 else self.frame["ts"].iloc[hits[-1]]

    def explain(self, rule: str, row: int) -> Explanation:
        """Why ``rule`` is what it is at row ``row`` (which sub-condition fails)."""
        return explain(self.result, rule, self._rule_symbol(rule), row + self.offset)

    def to_csv(self, path: str | Path | None = None) -> str:
        """The SPEC §3 CSV: ISO 8601 UTC ``ts``, rule states, values (empty while warming)."""
        header = ["ts", *self.rules, *self.columns]
        cycles = self.frame["ts"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[s]")
        stamps = np.char.add(np.datetime_as_string(cycles, unit="s"), "Z")
        cols = [stamps.tolist()] + [self.frame[r].tolist() for r in self.rules]
        cols += [_number_strings(self.frame[c].to_numpy(dtype=np.float64)) for c in self.columns]
        lines = [",".join(_csv_field(h) for h in header)]
        lines += [",".join(row) for row in zip(*cols)]
        text = "\n".join(lines) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def _csv_field(text: str) -> str:
    if any(ch in text for ch in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _number_strings(values: np.ndarray) -> list[str]:
    """Shortest round-trip text of each value; empty for NaN (warming)."""
    import pyarrow as pa

    text = pa.array(values).cast(pa.string()).to_numpy(zero_copy_only=False)
    return np.where(np.isnan(values), "", text).tolist()


def trace_strategy(checked_or_program, frames: dict, symbol: str, start=None) -> TraceResult:
    """Evaluate a checked strategy (or a compiled :class:`Program`) over ``frames`` for ``symbol``.

    With ``start`` (a UTC instant), the cycles before it are a warm-up prefix: they are
    evaluated (indicators, crosses and windows need them) but left out of the result.
    """
    program = checked_or_program if isinstance(checked_or_program, Program) else compile_strategy(checked_or_program)
    settings = program.settings
    if symbol not in settings.universe:
        raise RbtsError(f"{symbol} is not in the strategy's universe ({', '.join(settings.universe)}); "
                        "per-ticker rules are traced for a universe symbol")
    result = program.evaluate(frames, symbols=(symbol,))
    graph = program.graph
    data: dict[str, object] = {"ts": pd.to_datetime(result.cycles, utc=True)}
    rules = graph.rule_names
    names = np.array(STATE_NAMES, dtype=object)
    for name in rules:
        scope_symbol = None if graph.rule_scope(name) == "global" else symbol
        data[name] = names[result.rule_states(name, scope_symbol)]
    columns = [c.text for c in graph.columns if c.text not in data]
    for col in graph.columns:
        if col.text in columns:
            data[col.text] = result.column_values(col.text, symbol)
    frame = pd.DataFrame(data)
    offset = 0
    if start is not None and len(frame):
        offset = int(frame["ts"].searchsorted(pd.Timestamp(start).tz_convert("UTC")))
        frame = frame.iloc[offset:].reset_index(drop=True)
    return TraceResult(symbol, rules, columns, frame, result, offset)
