"""The compiled form of a strategy: one graph of series and condition nodes.

Series nodes (``source``, ``const``, ``indicator``, ``resample``, ``arith``,
``window``) produce values at their own bar instants; condition nodes (``cond``)
and ``rule`` nodes produce true/false/warming at each cycle.  Nodes are
hash-consed: the same expression on the same inputs is one node, so
``ema(close, 9, 5m)`` used by three rules exists once per ticker, and an
expression on other symbols only (``ema(VIX, 9, 5m)``) exists once.  Node ids are
in topological order (every input has a smaller id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from rbts.compiler.indicators import SPECS
from rbts.dsl.ast import Duration
from rbts.dsl.dispatch import Backend
from rbts.dsl.settings import ResolvedSettings

SERIES_KINDS = ("source", "const", "indicator", "resample", "arith", "window")
CONDITION_OPS = ("compare", "cross", "between", "time_in", "time_between", "within", "for", "not", "and", "or")
# Every case a graph backend handles (see op_key): series kinds, condition ops, rules.
GRAPH_OPS = (*SERIES_KINDS, *CONDITION_OPS, "rule")


def duration_text(seconds: int | None) -> str:
    """A timeframe as the language writes it (``5m``), ``-`` for none."""
    return "-" if seconds is None else Duration(seconds).text


@dataclass(frozen=True)
class Node:
    id: int
    kind: str
    op: str
    params: tuple
    inputs: tuple[int, ...]
    tf: int | None  # seconds, for series (None: a constant); None for conditions
    symbols: frozenset[str] = frozenset()  # every symbol whose bars it reads
    on_clock: bool = True  # arith/resample: every input update lands on this node's clock
    label: str = ""  # canonical text of the expression it came from (first occurrence)
    operand_labels: tuple[str, ...] = ()  # conditions: the text of each input as written

    @property
    def is_series(self) -> bool:
        return self.kind in SERIES_KINDS

    @property
    def nautilus_class(self) -> str | None:
        if self.kind == "indicator":
            return SPECS[self.op].class_name
        return None

    def describe(self) -> str:
        """One line: what this node computes (used by ``to_text``)."""
        return _DESCRIBE.visit_node(self)

    def to_json(self) -> dict:
        out = {"id": self.id, "kind": self.kind, "op": self.op, "params": list(self.params),
               "inputs": list(self.inputs), "timeframe_s": self.tf, "symbols": sorted(self.symbols)}
        if self.nautilus_class:
            out["nautilus"] = self.nautilus_class
        if self.label:
            out["label"] = self.label
        return out


def op_key(node: Node) -> str:
    """The case a graph backend dispatches on: the op of a condition, else the kind."""
    return node.op if node.kind == "cond" else node.kind


class GraphBackend(Backend):
    """A backend over graph nodes: ``on_<op_key>(node)`` per case of :data:`GRAPH_OPS`."""

    def visit_node(self, node: Node, *args):
        case = node.op if node.kind == "cond" else node.kind
        try:
            handler = self._handlers[case]
        except KeyError:
            handler = self.handler(case)  # raises, naming the backend
        return handler(self, node, *args)


def _inputs(node: Node) -> str:
    return ", ".join(f"n{i}" for i in node.inputs)


class _Describe(GraphBackend):
    def on_source(self, node):
        return f"{node.params[0]}.{node.op} bars {duration_text(node.tf)}"

    def on_const(self, node):
        return f"{node.params[0]!r}"

    def on_indicator(self, node):
        args = ", ".join(repr(p) for p in node.params)
        return f"{node.nautilus_class}({args}) [{node.op}] on {_inputs(node)} every {duration_text(node.tf)}"

    def on_resample(self, node):
        return f"last value of {_inputs(node)} per {duration_text(node.tf)}"

    def on_arith(self, node):
        return f"{node.op} ({_inputs(node)}) per {duration_text(node.tf)}"

    def on_window(self, node):
        return f"{node.op}({_inputs(node)}, {node.params[0]} bars of {duration_text(node.tf)})"

    def on_rule(self, node):
        scope, name, sym = node.params
        return f"{scope} rule {name}" + (f" [{sym}]" if sym else "") + f" = {_inputs(node)}"

    def on_compare(self, node):
        extra = " ".join(str(p) for p in node.params)
        return f"{node.op}{' ' + extra if extra else ''} ({_inputs(node)})"

    on_cross = on_between = on_time_in = on_time_between = on_within = on_for = on_not = on_and = on_or = on_compare


_DESCRIBE = _Describe()


@dataclass(frozen=True)
class RuleRef:
    name: str
    scope: str  # global | entry | exit
    symbol: str | None  # None for global rules
    node: int


@dataclass
class Column:
    """A traced value: a let or a function call, by canonical text; node per ticker."""

    text: str
    nodes: dict[str | None, int] = field(default_factory=dict)  # symbol (None: global) -> node id

    def node_for(self, symbol: str | None) -> int | None:
        return self.nodes.get(symbol, self.nodes.get(None))


@dataclass
class Graph:
    settings: ResolvedSettings
    nodes: list[Node] = field(default_factory=list)
    rules: list[RuleRef] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    _keys: dict[tuple, int] = field(default_factory=dict, repr=False)

    def add(self, kind: str, op: str, params: tuple, inputs: tuple[int, ...], tf: int | None,
            on_clock: bool = True, label: str = "", operand_labels: tuple[str, ...] = ()) -> int:
        key = (kind, op, params, inputs, tf)
        found = self._keys.get(key)
        if found is not None:
            return found
        if (op if kind == "cond" else kind) not in GRAPH_OPS:
            raise ValueError(f"not a graph op: {kind} {op}")
        symbols = frozenset().union(*(self.nodes[i].symbols for i in inputs)) if inputs else frozenset()
        if kind == "source":
            symbols = frozenset({params[0]})
        node = Node(len(self.nodes), kind, op, params, inputs, tf, symbols, on_clock, label, operand_labels)
        self.nodes.append(node)
        self._keys[key] = node.id
        return node.id

    # -- queries
    @property
    def rule_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.rules:
            seen.setdefault(r.name)
        return list(seen)

    def rule_scope(self, name: str) -> str:
        return next(r.scope for r in self.rules if r.name == name)

    def rule_node(self, name: str, symbol: str | None) -> int:
        for r in self.rules:
            if r.name == name and (r.symbol is None or r.symbol == symbol):
                return r.node
        raise KeyError((name, symbol))

    def count(self, kind: str, op: str | None = None) -> int:
        return sum(1 for n in self.nodes if n.kind == kind and (op is None or n.op == op))

    # -- output
    def to_text(self) -> str:
        s = self.settings
        lines = [f"graph of {s.name or 'strategy'}: {len(self.nodes)} nodes, cycle {duration_text(s.cycle_seconds)}, "
                 f"bars {duration_text(s.bars_seconds)}, universe {', '.join(s.universe)}"
                 + (f", data {', '.join(s.data_symbols)}" if s.data_symbols else "")]
        for node in self.nodes:
            where = ",".join(sorted(node.symbols)) or "-"
            note = f"    # {node.label}" if node.label and node.kind in ("cond", "window", "arith") else ""
            lines.append(f"  n{node.id:<4} {node.kind:<9} {where:<12} {node.describe()}{note}")
        return "\n".join(lines)

    def to_json(self) -> dict:
        s = self.settings
        return {
            "cycle_s": s.cycle_seconds, "bars_s": s.bars_seconds,
            "universe": list(s.universe), "data_symbols": list(s.data_symbols),
            "nodes": [n.to_json() for n in self.nodes],
            "rules": [{"name": r.name, "scope": r.scope, "symbol": r.symbol, "node": r.node} for r in self.rules],
            "columns": [{"text": c.text, "nodes": {k or "": v for k, v in c.nodes.items()}} for c in self.columns],
        }

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2)
