"""Many variants of one strategy, evaluated together (SPEC §6.3).

Variants of a strategy differ in numbers (its params), so their graphs share most
nodes.  :class:`VariantSet` merges the variant graphs:

* series nodes go into one hash-consed :class:`~rbts.compiler.graph.Graph`, which the
  vectorised evaluator computes once: ``ema(close, 9, 5m)`` used by 300 variants is one
  node per ticker, computed once;
* condition nodes go into a table of rows (also hash-consed), evaluated by depth and
  op in batches: all ``crosses_above`` rows of one depth are one (rows x cycles)
  operation (:mod:`rbts.compiler.batch_conditions`), never one variant at a time;
* each variant's rules are row numbers, so rule truth for a chunk of variants is a
  gather: (variants x tickers x cycles) arrays of "enter" and "exit".

Every variant must have the same rules, universe, symbols, cycle and bars (true for
the variants of one strategy whose params do not change its cycle; the pre-screen
groups variants by cycle first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rbts.compiler import batch_conditions as bc
from rbts.compiler.graph import Graph
from rbts.compiler.vector import VectorResult, evaluate

SERIES_OPERANDS = ("compare", "cross", "between")  # condition ops whose inputs are series
LOGIC_OPERANDS = ("not", "and", "or", "within", "for")  # condition ops whose inputs are conditions


@dataclass(frozen=True)
class CondRow:
    op: str
    params: tuple
    inputs: tuple[int, ...]  # series node ids (SERIES_OPERANDS) or condition rows (LOGIC_OPERANDS)
    depth: int


@dataclass
class VariantSet:
    """The merged graphs of ``len(rule_rows)`` variants (build with :func:`merge`)."""

    series: Graph
    rows: list[CondRow] = field(default_factory=list)
    rules: list[tuple[str, str, str | None]] = field(default_factory=list)  # (name, scope, symbol)
    rule_rows: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))  # variant x rule

    @property
    def settings(self):
        return self.series.settings

    def __len__(self) -> int:
        return len(self.rule_rows)

    def evaluate_series(self, frames: dict) -> VectorResult:
        """Every distinct series node over the frames, once (cycles come from every symbol's bars).

        EMAs -- a grid's most numerous nodes -- run the compiled recurrence of
        :mod:`rbts.compiler.compiled_ema` (bit-identical to the plain one)."""
        from rbts.compiler.compiled_ema import compiled_ema

        with compiled_ema():
            return evaluate(self.series, frames)

    def signals(self, result: VectorResult, variants: np.ndarray, tickers: tuple[str, ...]):
        """(enter, exit): bool arrays (variants x tickers x cycles) for the given variant indices.

        enter: every global rule and every entry rule of the ticker is true (SPEC §2.4);
        exit: any exit rule of the ticker is true.  Warming counts as false.
        """
        rule_rows = self.rule_rows[variants]
        matrix, where = condition_states(self.rows, np.unique(rule_rows), result)
        truth = matrix == bc.TRUE
        cols = where[rule_rows]  # variant x rule -> row of `truth`
        n, cycles = len(variants), len(result.cycles)
        globals_ok = _all_of(truth, cols, self._rules_of("global", None), (n, cycles))
        enter = np.empty((n, len(tickers), cycles), dtype=bool)
        leave = np.empty((n, len(tickers), cycles), dtype=bool)
        for k, ticker in enumerate(tickers):
            enter[:, k] = globals_ok & _all_of(truth, cols, self._rules_of("entry", ticker), (n, cycles))
            exits = self._rules_of("exit", ticker)
            leave[:, k] = truth[cols[:, exits]].any(axis=1) if exits else False
        return enter, leave

    def _rules_of(self, scope: str, symbol: str | None) -> list[int]:
        return [i for i, (_, s, sym) in enumerate(self.rules) if s == scope and sym == symbol]


def _all_of(truth: np.ndarray, cols: np.ndarray, rules: list[int], shape) -> np.ndarray:
    if not rules:
        return np.ones(shape, dtype=bool)
    return truth[cols[:, rules]].all(axis=1)


def merge(graphs: list[Graph]) -> VariantSet:
    """One :class:`VariantSet` from the graphs of a strategy's variants (same rules and clock)."""
    first = graphs[0]
    out = VariantSet(Graph(first.settings))
    out.rules = [(r.name, r.scope, r.symbol) for r in first.rules]
    keys: dict[tuple, int] = {}
    rule_rows = np.empty((len(graphs), len(out.rules)), dtype=np.int64)
    for v, graph in enumerate(graphs):
        _check_compatible(first, graph)
        mapped = _merge_one(out, graph, keys)
        rule_rows[v] = [mapped[r.node] for r in graph.rules]
    out.rule_rows = rule_rows
    return out


def _check_compatible(first: Graph, graph: Graph) -> None:
    a, b = first.settings, graph.settings
    same = (a.cycle_seconds, a.bars_seconds, a.symbols, a.universe) == (b.cycle_seconds, b.bars_seconds, b.symbols,
                                                                        b.universe)
    if not same or [(r.name, r.scope, r.symbol) for r in first.rules] != [
            (r.name, r.scope, r.symbol) for r in graph.rules]:
        raise ValueError("variants merged together must share rules, symbols, cycle and bars")


def _merge_one(out: VariantSet, graph: Graph, keys: dict[tuple, int]) -> dict[int, int]:
    """Add one variant graph's nodes; returns its node id -> series node id or condition row."""
    mapped: dict[int, int] = {}
    for node in graph.nodes:
        inputs = tuple(mapped[i] for i in node.inputs)
        if node.is_series:
            mapped[node.id] = out.series.add(node.kind, node.op, node.params, inputs, node.tf,
                                             on_clock=node.on_clock, label=node.label)
        elif node.kind == "rule":
            mapped[node.id] = inputs[0]
        else:
            key = (node.op, node.params, inputs)
            row = keys.get(key)
            if row is None:
                if node.op not in SERIES_OPERANDS and node.op not in LOGIC_OPERANDS \
                        and node.op not in ("time_in", "time_between"):
                    raise ValueError(f"the pre-screen cannot evaluate condition op {node.op!r}")
                depth = 1 + max((out.rows[i].depth for i in inputs), default=0) \
                    if node.op in LOGIC_OPERANDS else 0
                row = keys[key] = len(out.rows)
                out.rows.append(CondRow(node.op, node.params, inputs, depth))
            mapped[node.id] = row
    return mapped


def condition_states(rows: list[CondRow], wanted: np.ndarray, result: VectorResult) -> tuple[np.ndarray, np.ndarray]:
    """States (int8, matrix rows x cycles) of ``wanted`` rows and everything they need.

    Returns the matrix and ``where``: condition row -> its row in the matrix (-1 if not computed).
    """
    needed = _closure(rows, wanted)
    where = np.full(len(rows), -1, dtype=np.int64)
    where[needed] = np.arange(len(needed))
    matrix = np.empty((len(needed), len(result.cycles)), dtype=np.int8)
    batches: dict[tuple, list[int]] = {}
    for r in needed:
        row = rows[r]
        batches.setdefault((row.depth, row.op, row.params), []).append(r)
    for (_, op, params), members in sorted(batches.items(), key=lambda kv: kv[0][0]):
        ins = np.array([rows[r].inputs for r in members], dtype=np.int64).reshape(len(members), -1)
        matrix[where[members]] = _batch(op, params, ins, matrix, where, result)
    return matrix, where


def _closure(rows: list[CondRow], wanted: np.ndarray) -> np.ndarray:
    seen = np.zeros(len(rows), dtype=bool)
    stack = [int(r) for r in wanted]
    while stack:
        r = stack.pop()
        if not seen[r]:
            seen[r] = True
            if rows[r].op in LOGIC_OPERANDS:
                stack.extend(rows[r].inputs)
    return np.flatnonzero(seen)


def _batch(op: str, params: tuple, ins: np.ndarray, matrix: np.ndarray, where: np.ndarray,
           result: VectorResult) -> np.ndarray:
    """States of one batch of rows of the same op and params; ``ins`` is (rows x inputs)."""
    if op in SERIES_OPERANDS:
        operands = [_sampled(result, ins[:, k]) for k in range(ins.shape[1])]
        flat = [a for pair in operands for a in pair]
        if op == "compare":
            return bc.compare(params[0], *flat)
        if op == "cross":
            return bc.cross(params[0], *flat)
        return bc.between(*flat)
    if op == "time_in":
        return bc.time_in(params[0], result.cycles)
    if op == "time_between":
        return bc.time_between(*params, result.cycles)
    a = matrix[where[ins[:, 0]]]
    if op == "not":
        return bc.negate(a)
    if op in ("within", "for"):
        return bc.temporal(a, params[0], want_all=op == "for")
    b = matrix[where[ins[:, 1]]]
    return bc.both(a, b) if op == "and" else bc.either(a, b)


def _sampled(result: VectorResult, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values, ready) of series nodes at every cycle, stacked (nodes x cycles)."""
    unique, back = np.unique(nodes, return_inverse=True)
    pairs = [result.sample(int(i)) for i in unique]
    values = np.stack([p[0] for p in pairs])
    ready = np.stack([p[1] for p in pairs])
    return values[back], ready[back]
