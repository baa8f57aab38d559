"""Why a rule is true, false or warming at one cycle: a tree of its sub-conditions.

Both evaluators build it from their own state through :func:`explain_node`, so the
UI's per-rule chart (vectorised) and the live "entry blocked by" (incremental)
explain the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rbts.compiler.graph import Graph
from rbts.compiler.protocol import STATE_NAMES


@dataclass(frozen=True)
class Explanation:
    """One condition: its canonical text, its state, the values it compared, its parts."""

    text: str
    state: str  # "true" | "false" | "warming"
    values: dict[str, float | None] = field(default_factory=dict)  # operand text -> value (None: warming)
    children: tuple[Explanation, ...] = ()

    def failing(self) -> list[Explanation]:
        """The innermost sub-conditions that are not true (what blocks the rule)."""
        if self.state == "true":
            return []
        below = [leaf for child in self.children for leaf in child.failing()]
        return below or [self]

    def render(self, indent: int = 0) -> str:
        """An indented text form, e.g. for logs and the terminal."""
        vals = ", ".join(f"{k} = {_fmt(v)}" for k, v in self.values.items())
        line = f"{'  ' * indent}[{self.state}] {self.text}" + (f"   ({vals})" if vals else "")
        return "\n".join([line] + [c.render(indent + 1) for c in self.children])

    def to_json(self) -> dict:
        return {"text": self.text, "state": self.state, "values": dict(self.values),
                "children": [c.to_json() for c in self.children]}


def _fmt(value: float | None) -> str:
    return "warming" if value is None else f"{value:.6g}"


def explain_node(graph: Graph, node_id: int, state: Callable[[int], int],
                 value: Callable[[int], float | None]) -> Explanation:
    """The explanation of a condition/rule node, reading states and values through callbacks."""
    node = graph.nodes[node_id]
    if node.kind == "rule":
        return explain_node(graph, node.inputs[0], state, value)
    children: list[Explanation] = []
    values: dict[str, float | None] = {}
    for k, i in enumerate(node.inputs):
        sub = graph.nodes[i]
        if sub.is_series:
            text = node.operand_labels[k] if k < len(node.operand_labels) else sub.label
            values[text or f"n{i}"] = value(i)
        else:
            children.append(explain_node(graph, i, state, value))
    return Explanation(node.label or node.op, STATE_NAMES[state(node_id)], values, tuple(children))
