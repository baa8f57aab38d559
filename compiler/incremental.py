"""Incremental evaluation: the per-cycle state machine a Nautilus strategy drives.

Implements :class:`rbts.compiler.protocol.IncrementalEvaluator`.  Choice: it
aggregates every larger timeframe itself from the base bars (``bar_timeframes``
returns only the base timeframe), clock-aligned to New York midnight exactly as
:mod:`rbts.compiler.vector` does, so both evaluators share one definition and
Nautilus' timer ordering and empty-bar settings cannot change a result.

Time moves forward only: a bar is applied when it arrives, after every earlier
instant has been processed; an instant is processed once the clock has passed it
(a bar with a later stamp arrives) or a cycle at or after it is evaluated; a
larger-timeframe bar stamped T closes at T whether or not the ticker has a base
bar at T.  Nothing stamped after the cycle
is ever read.  Bars that arrive for an instant already processed are dropped and
counted in ``late_bars``.
"""

from __future__ import annotations

import heapq

from rbts.compiler import clock
from rbts.compiler.explain import Explanation, explain_node
from rbts.compiler.graph import Graph, GraphBackend
from rbts.compiler.incremental_conditions import (
    AndState, BetweenState, CompareState, CondState, CrossState, NotState, OrState, RuleNodeState, TemporalState,
    TimeBetweenState, TimeInState,
)
from rbts.compiler.incremental_series import (
    Aggregator, BucketedStep, ConstValue, IndicatorStep, SeriesValue, WindowStep,
    scalar_op,  # noqa: F401 (re-exported)
)
from rbts.compiler.protocol import STATES, CycleResult
_FIELD_INDEX = {"open": 0, "high": 1, "low": 2, "close": 3, "volume": 4}


# ----------------------------------------------------------------------------- the evaluator


class IncrementalProgram(GraphBackend):
    """A graph evaluated bar by bar (see the module docstring); ``on_<op_key>`` builds
    the state object of one graph node."""

    def __init__(self, graph: Graph):
        self.graph = graph
        s = graph.settings
        self.base_s = s.bars_seconds
        self.cycle_s = s.cycle_seconds
        self._cycle_ns = s.cycle_seconds * clock.NS
        self._cycle_fast = clock.HOUR_NS % self._cycle_ns == 0
        self.late_bars = 0
        self.objs: list = []
        self.conds: list[CondState] = []
        self._base_sources: dict[str, list[tuple[int, SeriesValue]]] = {sym: [] for sym in s.symbols}
        self._aggs: dict[str, list[Aggregator]] = {sym: [] for sym in s.symbols}
        self._agg_index: dict[tuple[str, int], Aggregator] = {}
        dependents: dict[int, list[int]] = {}
        for node in graph.nodes:
            obj = self.visit_node(node, [self.objs[i] for i in node.inputs])
            self.objs.append(obj)
            for i in node.inputs:
                dependents.setdefault(i, []).append(node.id)
            if isinstance(obj, CondState):
                self.conds.append(obj)
        self._dependents = dependents
        self._plans: dict[frozenset, list] = {}
        self._heap: list[int] = []
        self._pending: dict[int, list] = {}
        self._now = -1  # the instant being processed
        self._done = -1  # the last instant fully processed
        self._cur = -1  # the instant of the bars being received
        self._dirty: set[int] = set()  # base-bar sources updated at that instant
        self._group_outputs()

    # -- one state object per graph op
    def on_source(self, node, ins):
        obj = SeriesValue(node.id)
        sym = node.params[0]
        if node.tf == self.base_s:
            self._base_sources[sym].append((_FIELD_INDEX[node.op], obj))
            return obj
        agg = self._agg_index.get((sym, node.tf))
        if agg is None:
            agg = self._agg_index[(sym, node.tf)] = Aggregator(node.tf)
            self._aggs[sym].append(agg)
        agg.sources.append((_FIELD_INDEX[node.op], obj))
        return obj

    def on_const(self, node, ins):
        return ConstValue(node.id, node.params[0])

    def on_indicator(self, node, ins):
        return IndicatorStep(node.id, node.op, node.params, ins)

    def on_window(self, node, ins):
        return WindowStep(node.id, node.op, node.params[0], ins[0])

    def on_arith(self, node, ins):
        return BucketedStep(node.id, node.op, ins, node.tf, node.on_clock, self)

    on_resample = on_arith

    def on_rule(self, node, ins):
        return RuleNodeState(node.id, ins)

    def on_compare(self, node, ins):
        return CompareState(node.id, ins, node.params[0])

    def on_cross(self, node, ins):
        return CrossState(node.id, ins, node.params[0])

    def on_between(self, node, ins):
        return BetweenState(node.id, ins)

    def on_time_in(self, node, ins):
        return TimeInState(node.id, node.params[0])

    def on_time_between(self, node, ins):
        return TimeBetweenState(node.id, *node.params)

    def on_within(self, node, ins):
        return TemporalState(node.id, ins, node.params[0], False)

    def on_for(self, node, ins):
        return TemporalState(node.id, ins, node.params[0], True)

    def on_not(self, node, ins):
        return NotState(node.id, ins)

    def on_and(self, node, ins):
        return AndState(node.id, ins)

    def on_or(self, node, ins):
        return OrState(node.id, ins)

    # -- protocol
    def bar_timeframes(self) -> dict[str, tuple[int, ...]]:
        return {sym: (self.base_s,) for sym in self.graph.settings.symbols}

    def is_cycle(self, ts_ns: int) -> bool:
        if self._cycle_fast:
            return ts_ns % self._cycle_ns == 0
        return clock.bucket_end(ts_ns, self.cycle_s) == ts_ns

    def on_bar(self, symbol, timeframe_s, ts_ns, open, high, low, close, volume) -> None:
        if timeframe_s != self.base_s:
            return
        aggs = self._aggs.get(symbol)
        if aggs is None:
            return
        if ts_ns != self._cur:
            if ts_ns <= self._done or ts_ns < self._cur:
                self.late_bars += 1
                return
            self._settle(ts_ns, inclusive=False)
            self._cur = ts_ns
            if ts_ns not in self._pending:
                self._pending[ts_ns] = []
                heapq.heappush(self._heap, ts_ns)
        elif ts_ns <= self._done:
            self.late_bars += 1
            return
        # Applying the bar now is safe: every instant before ts_ns has been processed
        # (closing older buckets), and nothing reads these nodes before instant ts_ns is.
        sources = self._base_sources[symbol]
        if sources:
            bar = (open, high, low, close, volume)
            dirty = self._dirty
            for index, obj in sources:
                obj.ts, obj.value, obj.ready = ts_ns, bar[index], True
                dirty.add(obj.id)
        for agg in aggs:
            bar = agg.bar
            if bar is None:
                agg.bar = [open, high, low, close, volume]
                agg.end = end = clock.bucket_end(ts_ns, agg.tf)
                self._schedule(end, agg)
            else:
                if high > bar[1]:
                    bar[1] = high
                if low < bar[2]:
                    bar[2] = low
                bar[3] = close
                bar[4] += volume

    def evaluate(self, ts_ns: int) -> CycleResult:
        self._settle(ts_ns, inclusive=True)
        for cond in self.conds:
            cond.eval(ts_ns)
        return self._result(ts_ns)

    # -- time
    def _schedule(self, instant: int, item) -> None:
        items = self._pending.get(instant)
        if items is None:
            self._pending[instant] = [item]
            if instant != self._now:
                heapq.heappush(self._heap, instant)
        else:
            items.append(item)

    def _settle(self, limit: int, inclusive: bool) -> None:
        heap = self._heap
        while heap and (heap[0] < limit or (inclusive and heap[0] == limit)):
            self._process(heapq.heappop(heap))

    def _process(self, now: int) -> None:
        self._now = now
        dirty = self._dirty if now == self._cur else set()
        for item in self._pending.pop(now, ()):
            if isinstance(item, Aggregator):
                item.close(now, dirty)
            else:
                dirty.add(item.id)
        if dirty:
            key = frozenset(dirty)
            plan = self._plans.get(key)
            if plan is None:
                plan = self._plans[key] = self._plan(key)
            for obj in plan:
                obj.step(now)
            dirty.clear()
        self._done = now
        self._now = -1

    def _plan(self, dirty: frozenset) -> list:
        """Series nodes downstream of the updated ones (and scheduled ones), in order."""
        seen = set(dirty)
        stack = list(dirty)
        while stack:
            for dep in self._dependents.get(stack.pop(), ()):
                if dep not in seen and self.graph.nodes[dep].is_series:
                    seen.add(dep)
                    stack.append(dep)
        return [self.objs[i] for i in sorted(seen) if self.graph.nodes[i].kind != "source"]

    # -- results
    def _result(self, ts: int) -> CycleResult:
        global_rules = {name: STATES[obj.state] for name, obj in self._global_rules}
        entry = {sym: {name: STATES[obj.state] for name, obj in rules} for sym, rules in self._entry_rules}
        exit_ = {sym: {name: STATES[obj.state] for name, obj in rules} for sym, rules in self._exit_rules}
        return CycleResult(ts, global_rules, entry, exit_, self.values())

    def values(self) -> dict[str, dict[str, float | None]]:
        """symbol -> {column text -> value or None while warming}; global columns under ""."""
        return {key: {text: (obj.value if obj.ready else None) for text, obj in cols}
                for key, cols in self._value_groups}

    def _group_outputs(self) -> None:
        by_scope: dict[str, dict[str, list]] = {"global": {}, "entry": {}, "exit": {}}
        for ref in self.graph.rules:
            by_scope[ref.scope].setdefault(ref.symbol or "", []).append((ref.name, self.objs[ref.node]))
        self._global_rules = by_scope["global"].get("", [])
        self._entry_rules = list(by_scope["entry"].items())
        self._exit_rules = list(by_scope["exit"].items())
        groups: dict[str, list] = {}
        for col in self.graph.columns:
            for key, node_id in col.nodes.items():
                groups.setdefault(key or "", []).append((col.text, self.objs[node_id]))
        self._value_groups = list(groups.items())

    def explain(self, rule: str, symbol: str | None = None) -> Explanation:
        """Why a rule is what it is at the last evaluated cycle."""
        node = self.graph.rule_node(rule, symbol)
        objs = self.objs

        def state(i):
            return objs[i].state

        def value(i):
            obj = objs[i]
            return obj.value if obj.ready else None

        return explain_node(self.graph, node, state, value)


def incremental(graph: Graph) -> IncrementalProgram:
    return IncrementalProgram(graph)
