"""View models of the per-rule charts: when each rule was true, and why not now.

Built from the compiler's vectorised evaluation (the same values ``rbts trace``
prints); nothing here re-computes an indicator or a condition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rbts.compiler.explain import Explanation, explain_node
from rbts.compiler.graph import Graph
from rbts.compiler.protocol import FALSE, STATE_NAMES, TRUE, WARMING
from rbts.compiler.vector import VectorResult
from rbts.dsl.exchange import EXCHANGE_TZ

__all__ = ["FALSE", "TRUE", "WARMING", "Leaf", "RuleView", "build_rule_views", "last_true_text"]


@dataclass
class Leaf:
    """One elementary condition of a rule: its text, its states, the series it compares."""

    text: str
    states: np.ndarray
    series: list[tuple[str, np.ndarray]] = field(default_factory=list)  # (label, values; NaN while warming)


@dataclass
class RuleView:
    name: str
    scope: str
    symbol: str | None  # None for a global rule
    times: pd.DatetimeIndex  # cycle instants, in exchange time (EXCHANGE_TZ)
    states: np.ndarray  # FALSE / TRUE / WARMING per cycle
    leaves: list[Leaf]
    now: Explanation | None  # the rule at the last cycle

    @property
    def last_true_index(self) -> int | None:
        hits = np.flatnonzero(self.states == TRUE)
        return int(hits[-1]) if len(hits) else None

    @property
    def state_now(self) -> str:
        return STATE_NAMES[int(self.states[-1])] if len(self.states) else "warming"

    def last_true(self) -> tuple[pd.Timestamp, int] | None:
        """(time it was last true, cycles ago) or None."""
        i = self.last_true_index
        return None if i is None else (self.times[i], len(self.states) - 1 - i)

    def true_share(self) -> float:
        ready = self.states != WARMING
        return float((self.states[ready] == TRUE).mean()) if ready.any() else 0.0

    def failing_now(self) -> list[Explanation]:
        return self.now.failing() if self.now is not None else []


def last_true_text(view: RuleView) -> str:
    """``last true: 2025-03-27 15:40 (3 bars ago)`` / ``true now`` / ``never true in this range``."""
    found = view.last_true()
    if found is None:
        return "never true in this range"
    when, ago = found
    if ago == 0:
        return f"true now ({when:%Y-%m-%d %H:%M})"
    return f"last true: {when:%Y-%m-%d %H:%M} ({ago} bar{'s' if ago != 1 else ''} ago)"


def _leaf_nodes(graph: Graph, node_id: int) -> list[int]:
    node = graph.nodes[node_id]
    if node.kind == "rule":
        return _leaf_nodes(graph, node.inputs[0])
    subs = [i for i in node.inputs if not graph.nodes[i].is_series]
    if node.op in ("and", "or", "not") and subs:
        return [leaf for i in subs for leaf in _leaf_nodes(graph, i)]
    return [node_id]


def _series_inputs(graph: Graph, node_id: int) -> list[int]:
    """The series a condition compares (through within/for to the inner condition)."""
    node = graph.nodes[node_id]
    out = [i for i in node.inputs if graph.nodes[i].is_series]
    for i in node.inputs:
        if not graph.nodes[i].is_series:
            out += _series_inputs(graph, i)
    return out


def build_rule_views(result: VectorResult, symbol: str, since_ns: int | None = None) -> list[RuleView]:
    """One view per rule (per-ticker rules for ``symbol``), cut to cycles at or after ``since_ns``."""
    graph = result.graph
    keep = np.ones(len(result.cycles), dtype=bool) if since_ns is None else result.cycles >= since_ns
    times = pd.to_datetime(result.cycles[keep], unit="ns", utc=True).tz_convert(EXCHANGE_TZ)
    views = []
    for ref in graph.rules:
        if ref.symbol is not None and ref.symbol != symbol:
            continue
        views.append(_view(result, ref, keep, times))
    return views


def _view(result: VectorResult, ref, keep: np.ndarray, times: pd.DatetimeIndex) -> RuleView:
    graph = result.graph
    leaves = []
    for leaf_id in _leaf_nodes(graph, ref.node):
        node = graph.nodes[leaf_id]
        series = []
        for sid in dict.fromkeys(_series_inputs(graph, leaf_id)):
            sub = graph.nodes[sid]
            series.append((sub.label or sub.describe(), result.values(sid)[keep]))
        leaves.append(Leaf(node.label or node.describe(), result.states[leaf_id][keep], series))
    states = result.states[ref.node][keep]
    now = _explain_last(result, ref.node) if len(states) else None
    return RuleView(ref.name, ref.scope, ref.symbol, times, states, leaves, now)


def _explain_last(result: VectorResult, node_id: int) -> Explanation:
    i = len(result.cycles) - 1

    def value(n: int) -> float | None:
        val, ready = result.sample(n)
        return float(val[i]) if ready[i] else None

    return explain_node(result.graph, node_id, lambda n: int(result.states[n][i]), value)
