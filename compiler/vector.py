"""Vectorised evaluation of a graph over whole histories (traces, UI charts).

Series semantics (docs/semantics.md; the incremental evaluator implements the same):
a series node updates at instants on its timeframe's clock; its value at a cycle is
its last update at or before the cycle.  Warming values never feed an indicator or
window: an indicator sees only its input's ready values; a window needs its k bars
back to be ready.  Conditions are evaluated at every cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rbts.compiler import clock
from rbts.compiler.explain import Explanation, explain_node
from rbts.compiler.graph import Graph, GraphBackend, Node
from rbts.compiler.indicators import SPECS, compute
from rbts.compiler.protocol import TRUE, WARMING
from rbts.dsl.functions import FUNCTIONS

FIELDS = ("open", "high", "low", "close", "volume")


@dataclass
class Series:
    """A node's updates: instants (UTC ns), values, and whether each value is ready."""

    ts: np.ndarray
    val: np.ndarray
    ready: np.ndarray

    def at(self, instants: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(value, ready) as of each instant: the last update at or before it."""
        idx = np.searchsorted(self.ts, instants, side="right") - 1
        exists = idx >= 0
        j = np.where(exists, idx, 0)
        if len(self.ts) == 0:
            return np.full(len(instants), np.nan), np.zeros(len(instants), dtype=bool)
        return np.where(exists, self.val[j], np.nan), exists & self.ready[j]


@dataclass(frozen=True)
class Const:
    value: float

    def at(self, instants: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.full(len(instants), self.value), np.ones(len(instants), dtype=bool)


def apply_op(op: str, a, b=None):
    """Arithmetic with numpy's float rules (x/0 is +-inf or nan, never an exception)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if op == "neg":
            return np.negative(a)
        if op == "+":
            return np.add(a, b)
        if op == "-":
            return np.subtract(a, b)
        if op == "*":
            return np.multiply(a, b)
        return np.divide(a, b)


def frame_ts(frame) -> np.ndarray:
    """UTC nanoseconds of a frame's index (bar close times)."""
    import pandas as pd

    idx = pd.DatetimeIndex(frame.index)
    idx = idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
    return idx.as_unit("ns").asi8


def aggregate(ts: np.ndarray, cols: dict[str, np.ndarray], tf_s: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """OHLCV bars of ``tf_s`` from base bars: bucket (T - tf, T] stamped T."""
    if len(ts) == 0:
        return ts, {f: cols[f][:0] for f in FIELDS}
    ends = clock.bucket_ends(ts, tf_s)
    starts = np.flatnonzero(np.r_[True, ends[1:] != ends[:-1]])
    lasts = np.r_[starts[1:] - 1, len(ts) - 1]
    out = {
        "open": cols["open"][starts],
        "high": np.maximum.reduceat(cols["high"], starts),
        "low": np.minimum.reduceat(cols["low"], starts),
        "close": cols["close"][lasts],
        "volume": np.add.reduceat(cols["volume"], starts),
    }
    return ends[starts], out


@dataclass
class VectorResult:
    """Every node's values over a history and every condition's state per cycle."""

    graph: Graph
    cycles: np.ndarray  # UTC ns of each cycle
    series: dict[int, Series | Const] = field(default_factory=dict)
    states: dict[int, np.ndarray] = field(default_factory=dict)  # cond/rule node -> FALSE/TRUE/WARMING per cycle
    _sampled: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def sample(self, node_id: int) -> tuple[np.ndarray, np.ndarray]:
        """(value, ready) of a series node at every cycle."""
        if node_id not in self._sampled:
            self._sampled[node_id] = self.series[node_id].at(self.cycles)
        return self._sampled[node_id]

    def values(self, node_id: int) -> np.ndarray:
        """A series node's value at every cycle, NaN while warming."""
        val, ready = self.sample(node_id)
        return np.where(ready, val, np.nan)

    def rule_states(self, name: str, symbol: str | None = None) -> np.ndarray:
        return self.states[self.graph.rule_node(name, symbol)]

    def column_values(self, text: str, symbol: str | None) -> np.ndarray:
        col = next(c for c in self.graph.columns if c.text == text)
        node = col.node_for(symbol)
        if node is None:
            return np.full(len(self.cycles), np.nan)
        return self.values(node)


def evaluate(graph: Graph, frames: dict, symbols=None) -> VectorResult:
    """Evaluate ``graph`` over base-bar frames (symbol -> DataFrame indexed by UTC close time).

    ``symbols`` (optional) restricts the work to what the global rules and the
    per-ticker rules and columns of those universe symbols need (a trace of one
    ticker); cycles still come from every symbol's bars.
    """
    return _Vector(graph, frames).run(None if symbols is None else needed_nodes(graph, symbols))


def needed_nodes(graph: Graph, symbols) -> set[int]:
    """Nodes that the global rules and the given tickers' rules and columns depend on."""
    wanted = set(symbols)
    roots = [r.node for r in graph.rules if r.symbol is None or r.symbol in wanted]
    for col in graph.columns:
        roots += [n for key, n in col.nodes.items() if key is None or key in wanted]
    seen: set[int] = set()
    stack = roots
    while stack:
        i = stack.pop()
        if i not in seen:
            seen.add(i)
            stack.extend(graph.nodes[i].inputs)
    return seen


class _Vector(GraphBackend):
    """``on_<op_key>`` computes a node's series (or its state per cycle) from its inputs'."""

    def __init__(self, graph: Graph, frames: dict):
        self.graph = graph
        self.settings = graph.settings
        self.base: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
        for sym in self.settings.symbols:
            frame = frames.get(sym)
            if frame is None or len(frame) == 0:
                self.base[sym] = (np.zeros(0, dtype=np.int64), {f: np.zeros(0) for f in FIELDS})
                continue
            cols = {f: frame[f].to_numpy(dtype=np.float64) for f in FIELDS}
            self.base[sym] = (frame_ts(frame), cols)
        self.bars: dict[tuple[str, int], tuple[np.ndarray, dict[str, np.ndarray]]] = {}
        cycle = self.settings.cycle_seconds
        on_clock = [ts[clock.on_clock(ts, cycle)] for ts, _ in self.base.values() if len(ts)]
        self.cycles = np.unique(np.concatenate(on_clock)) if on_clock else np.zeros(0, dtype=np.int64)
        self.result = VectorResult(graph, self.cycles)

    def run(self, only: set[int] | None = None) -> VectorResult:
        for node in self.graph.nodes:
            if only is not None and node.id not in only:
                continue
            out = self.visit_node(node)
            if node.is_series:
                self.result.series[node.id] = out
            else:
                self.result.states[node.id] = out
        return self.result

    # -- series
    def bars_of(self, symbol: str, tf: int):
        key = (symbol, tf)
        if key not in self.bars:
            ts, cols = self.base[symbol]
            self.bars[key] = (ts, cols) if tf == self.settings.bars_seconds else aggregate(ts, cols, tf)
        return self.bars[key]

    def on_source(self, node: Node) -> Series:
        ts, cols = self.bars_of(node.params[0], node.tf)
        return Series(ts, cols[node.op], np.ones(len(ts), dtype=bool))

    def on_const(self, node: Node) -> Const:
        return Const(node.params[0])

    def on_indicator(self, node: Node) -> Series:
        inputs = [self.result.series[i] for i in node.inputs]
        ts = inputs[0].ts
        mask = np.logical_and.reduce([s.ready for s in inputs])
        days = None
        if SPECS[node.op].feed == "bar_volume_day":
            days = ((ts + clock.utc_offsets(ts)) // clock.DAY_NS)[mask]
        values, init = compute(node.op, node.params, [s.val[mask] for s in inputs], days)
        val = np.full(len(ts), np.nan)
        ready = np.zeros(len(ts), dtype=bool)
        val[mask] = values
        ready[mask] = init
        return Series(ts, val, ready)

    def on_resample(self, node: Node) -> Series:
        x = self.result.series[node.inputs[0]]
        if len(x.ts) == 0:
            return x
        ends = clock.bucket_ends(x.ts, node.tf)
        last = np.flatnonzero(np.r_[ends[1:] != ends[:-1], True])
        return Series(ends[last], x.val[last], x.ready[last])

    def on_arith(self, node: Node) -> Series:
        operands = [self.result.series[i] for i in node.inputs]
        stamps = [s.ts for s in operands if isinstance(s, Series)]
        instants = np.unique(np.concatenate(stamps))
        if not node.on_clock:
            instants = np.unique(clock.bucket_ends(instants, node.tf))
        sampled = [s.at(instants) for s in operands]
        val = apply_op(node.op, *[v for v, _ in sampled])
        ready = np.logical_and.reduce([r for _, r in sampled])
        return Series(instants, np.asarray(val, dtype=np.float64), ready)

    def on_window(self, node: Node) -> Series:
        x = self.result.series[node.inputs[0]]
        k = node.params[0]
        spec = FUNCTIONS[node.op].window
        n = len(x.ts)
        v, r = x.val, x.ready
        val = np.full(n, np.nan)
        ready = np.zeros(n, dtype=bool)
        if spec.kind == "extreme":
            if n >= k:
                import pandas as pd

                roll = pd.Series(v).rolling(k, min_periods=1)
                val = (roll.max() if spec.highest else roll.min()).to_numpy()
                ok = np.cumsum(r)
                ok = ok - np.r_[np.zeros(k, dtype=ok.dtype), ok[:-k]]
                ready = ok == k
            return Series(x.ts, val, ready)
        if n > k:
            val[k:] = spec.combine(v[k:], v[:-k], k, apply_op)
            ready[k:] = r[k:] & r[:-k] if spec.needs_now else r[:-k]
        return Series(x.ts, val, ready)

    # -- conditions (per cycle)
    def operands(self, node: Node) -> list[tuple[np.ndarray, np.ndarray]]:
        return [self.result.sample(i) for i in node.inputs]

    @staticmethod
    def states(truth: np.ndarray, warming: np.ndarray) -> np.ndarray:
        return np.where(warming, WARMING, truth.astype(np.int8)).astype(np.int8)

    def on_compare(self, node: Node) -> np.ndarray:
        (a, ra), (b, rb) = self.operands(node)
        op = node.params[0]
        truth = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[op](a, b)
        return self.states(truth, ~(ra & rb))

    def on_cross(self, node: Node) -> np.ndarray:
        (a, ra), (b, rb) = self.operands(node)
        ok = ra & rb
        pa, pb = np.r_[np.nan, a[:-1]], np.r_[np.nan, b[:-1]]
        pok = np.r_[False, ok[:-1]]
        above = (a > b) & (pa <= pb)
        below = (a < b) & (pa >= pb)
        direction = node.params[0]
        truth = above if direction == "above" else below if direction == "below" else above | below
        return self.states(truth, ~(ok & pok))

    def on_between(self, node: Node) -> np.ndarray:
        (v, rv), (lo, rl), (hi, rh) = self.operands(node)
        return self.states((lo <= v) & (v <= hi), ~(rv & rl & rh))

    def on_time_in(self, node: Node) -> np.ndarray:
        test = clock.in_rth if node.params[0] == "RTH" else clock.in_eth
        return test(self.cycles).astype(np.int8)

    def on_time_between(self, node: Node) -> np.ndarray:
        sod = clock.local_seconds_of_day(self.cycles)
        return np.asarray(clock.in_time_window(sod, *node.params)).astype(np.int8)

    def temporal(self, node: Node, want_all: bool) -> np.ndarray:
        s = self.result.states[node.inputs[0]]
        n = node.params[0]
        trues = _rolling_count(s == TRUE, n)
        warm = _rolling_count(s == WARMING, n) > 0
        warm[: n - 1] = True
        truth = trues == n if want_all else trues > 0
        return self.states(truth, warm)

    def on_within(self, node: Node) -> np.ndarray:
        return self.temporal(node, want_all=False)

    def on_for(self, node: Node) -> np.ndarray:
        return self.temporal(node, want_all=True)

    def on_rule(self, node: Node) -> np.ndarray:
        return self.result.states[node.inputs[0]]

    def on_not(self, node: Node) -> np.ndarray:
        s = self.result.states[node.inputs[0]]
        return np.where(s == WARMING, WARMING, 1 - s).astype(np.int8)

    def on_and(self, node: Node) -> np.ndarray:
        a, b = (self.result.states[i] for i in node.inputs)
        return self.states((a == TRUE) & (b == TRUE), (a == WARMING) | (b == WARMING))

    def on_or(self, node: Node) -> np.ndarray:
        a, b = (self.result.states[i] for i in node.inputs)
        return self.states((a == TRUE) | (b == TRUE), (a == WARMING) | (b == WARMING))


def _rolling_count(flags: np.ndarray, n: int) -> np.ndarray:
    """How many of the last ``n`` entries (now included) are set."""
    c = np.cumsum(flags, dtype=np.int64)
    return c - np.r_[np.zeros(n, dtype=np.int64), c[:-n]][: len(c)]


def explain(result: VectorResult, rule: str, symbol: str | None, cycle: int) -> Explanation:
    """Why ``rule`` (for ``symbol``) is what it is at cycle index ``cycle``."""
    def state(i):
        return int(result.states[i][cycle])

    def value(i):
        val, ready = result.sample(i)
        return float(val[cycle]) if ready[cycle] else None

    return explain_node(result.graph, result.graph.rule_node(rule, symbol), state, value)
