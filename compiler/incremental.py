"""Incremental evaluation: the per-cycle state machine a Nautilus strategy drives.

Implements :class:`rbts.compiler.protocol.IncrementalEvaluator`.  Choice: it
aggregates every larger timeframe itself from the base bars (``bar_timeframes``
returns only the base timeframe), clock-aligned to New York midnight exactly as
:mod:`rbts.compiler.vector` does, so both evaluators share one definition and
Nautilus' timer ordering and empty-bar settings cannot change a result.

Time moves forward only: bars are buffered per instant and an instant is
processed once the clock has passed it (a bar with a later stamp arrives) or a
cycle at or after it is evaluated; a larger-timeframe bar stamped T closes at T
whether or not the ticker has a base bar at T.  Nothing stamped after the cycle
is ever read.  Bars that arrive for an instant already processed are dropped and
counted in ``late_bars``.
"""

from __future__ import annotations

import heapq
import math
from collections import deque

from rbts.compiler import clock
from rbts.compiler.explain import Explanation, explain_node
from rbts.compiler.graph import Graph
from rbts.compiler.indicators import feeder, make
from rbts.compiler.protocol import CycleResult, RuleState
from rbts.compiler.vector import FALSE, TRUE, WARMING

STATES = (RuleState.FALSE, RuleState.TRUE, RuleState.WARMING)
_FIELD_INDEX = {"open": 0, "high": 1, "low": 2, "close": 3, "volume": 4}
_INF = float("inf")


def scalar_op(op: str, a: float, b: float = 0.0) -> float:
    """Arithmetic on Python floats with numpy's rules for division by zero."""
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "neg":
        return -a
    if b == 0.0:
        if a != a or a == 0.0:
            return float("nan")
        negative = (a < 0) != (math.copysign(1.0, b) < 0)
        return -_INF if negative else _INF
    return a / b


# ----------------------------------------------------------------------------- series nodes


class _Value:
    """A series node's last update: instant, value, ready."""

    __slots__ = ("id", "ts", "value", "ready")

    def __init__(self, node_id: int):
        self.id = node_id
        self.ts = -1
        self.value = float("nan")
        self.ready = False

    def step(self, now: int) -> None:  # sources and constants are set from outside
        pass


class _Const(_Value):
    __slots__ = ()

    def __init__(self, node_id: int, value: float):
        super().__init__(node_id)
        self.value = value
        self.ready = True


class _Indicator(_Value):
    __slots__ = ("inputs", "ind", "feed", "vwap")

    def __init__(self, node_id, func, params, inputs):
        super().__init__(node_id)
        self.inputs = inputs
        self.ind = make(func, params)
        self.feed = feeder(func, self.ind)
        self.vwap = func == "vwap"

    def step(self, now):
        first = self.inputs[0]
        if first.ts != now:
            return
        self.ts = now
        if len(self.inputs) == 1:
            if first.ready:
                self.value = self.feed(first.value)
                self.ready = self.ind.initialized
            else:
                self.value, self.ready = float("nan"), False
            return
        if all(x.ready for x in self.inputs):
            args = [x.value for x in self.inputs]
            if self.vwap:
                args.append(clock.local_day_number(now))
            self.value = self.feed(*args)
            self.ready = self.ind.initialized
        else:
            self.value, self.ready = float("nan"), False


class _Window(_Value):
    __slots__ = ("input", "op", "k", "hist", "streak", "extremes", "count")

    def __init__(self, node_id, op, k, x):
        super().__init__(node_id)
        self.input, self.op, self.k = x, op, k
        self.hist = deque(maxlen=k + 1)  # (value, ready) of the last k+1 updates of x
        self.streak = 0  # consecutive ready updates of x, for highest/lowest
        self.extremes: deque = deque()  # highest/lowest: monotonic (index, value), NaN skipped
        self.count = 0

    def step(self, now):
        x = self.input
        if x.ts != now:
            return
        self.ts = now
        k, op = self.k, self.op
        if op == "highest" or op == "lowest":
            self._extreme(x.value, op == "highest")
            self.streak = self.streak + 1 if x.ready else 0
            self.ready = self.streak >= k
            return
        hist = self.hist
        hist.append((x.value, x.ready))
        if len(hist) <= k:
            self.value, self.ready = float("nan"), False
            return
        back, back_ready = hist[0]
        if op == "prev":
            self.value, self.ready = back, back_ready
            return
        if op == "pct_change":
            value = scalar_op("-", scalar_op("/", x.value, back), 1.0)
        else:
            value = x.value - back
            if op == "slope":
                value = scalar_op("/", value, float(k))
        self.value, self.ready = value, x.ready and back_ready


    def _extreme(self, v, highest):
        ext = self.extremes
        i = self.count
        self.count = i + 1
        if v == v:
            if highest:
                while ext and ext[-1][1] <= v:
                    ext.pop()
            else:
                while ext and ext[-1][1] >= v:
                    ext.pop()
            ext.append((i, v))
        while ext and ext[0][0] <= i - self.k:
            ext.popleft()
        self.value = ext[0][1] if ext else float("nan")


class _Bucketed(_Value):
    """arith/resample: updates at its clock's instants with its inputs' last values."""

    __slots__ = ("inputs", "op", "tf", "on_clock", "due", "owner")

    def __init__(self, node_id, op, inputs, tf, on_clock, owner):
        super().__init__(node_id)
        self.inputs, self.op, self.tf, self.on_clock = inputs, op, tf, on_clock
        self.due = -1
        self.owner = owner  # the evaluator, for scheduling

    def step(self, now):
        if self.due != now:
            if not any(x.ts == now for x in self.inputs if not isinstance(x, _Const)):
                return
            if not self.on_clock:
                end = clock.bucket_end(now, self.tf)
                if end != now:
                    if self.due != end:
                        self.due = end
                        self.owner._schedule(end, self)
                    return
        self.ts = now
        xs = self.inputs
        ready = all(x.ready for x in xs)
        if self.op == "last":
            self.value, self.ready = xs[0].value, xs[0].ready
        elif self.op == "neg":
            self.value, self.ready = -xs[0].value, ready
        else:
            self.value, self.ready = scalar_op(self.op, xs[0].value, xs[1].value), ready


class _Aggregator:
    """Builds one symbol's bars of one larger timeframe from its base bars."""

    __slots__ = ("tf", "end", "bar", "sources")

    def __init__(self, tf: int):
        self.tf = tf
        self.end = -1
        self.bar: list[float] | None = None
        self.sources: list[tuple[int, _Value]] = []

    def close(self, now: int, dirty: set) -> None:
        bar, self.bar = self.bar, None
        for index, obj in self.sources:
            obj.ts, obj.value, obj.ready = now, bar[index], True
            dirty.add(obj.id)


# ----------------------------------------------------------------------------- conditions


class _Cond:
    """A condition's state at the current cycle (FALSE/TRUE/WARMING)."""

    __slots__ = ("id", "state", "inputs")

    def __init__(self, node_id: int, inputs: list):
        self.id = node_id
        self.state = WARMING
        self.inputs = inputs

    def eval(self, ts: int) -> None:
        raise NotImplementedError


_COMPARE = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


class _Compare(_Cond):
    __slots__ = ("test",)

    def __init__(self, node_id, inputs, op):
        super().__init__(node_id, inputs)
        self.test = _COMPARE[op]

    def eval(self, ts):
        a, b = self.inputs
        if a.ready and b.ready:
            self.state = TRUE if self.test(a.value, b.value) else FALSE
        else:
            self.state = WARMING


class _Between(_Cond):
    __slots__ = ()

    def eval(self, ts):
        v, lo, hi = self.inputs
        if v.ready and lo.ready and hi.ready:
            self.state = TRUE if lo.value <= v.value <= hi.value else FALSE
        else:
            self.state = WARMING


class _Cross(_Cond):
    __slots__ = ("direction", "prev")

    def __init__(self, node_id, inputs, direction):
        super().__init__(node_id, inputs)
        self.direction = direction
        self.prev: tuple[float, float] | None = None  # operands at the previous cycle, if ready

    def eval(self, ts):
        a, b = self.inputs
        prev = self.prev
        if a.ready and b.ready:
            now = (a.value, b.value)
            self.prev = now
        else:
            self.prev = None
            self.state = WARMING
            return
        if prev is None:
            self.state = WARMING
            return
        above = now[0] > now[1] and prev[0] <= prev[1]
        below = now[0] < now[1] and prev[0] >= prev[1]
        d = self.direction
        hit = above if d == "above" else below if d == "below" else above or below
        self.state = TRUE if hit else FALSE


class _TimeIn(_Cond):
    __slots__ = ("test",)

    def __init__(self, node_id, session):
        super().__init__(node_id, [])
        self.test = clock.in_rth_one if session == "RTH" else clock.in_eth_one

    def eval(self, ts):
        self.state = TRUE if self.test(ts) else FALSE


class _TimeBetween(_Cond):
    __slots__ = ("start", "end")

    def __init__(self, node_id, start, end):
        super().__init__(node_id, [])
        self.start, self.end = start, end

    def eval(self, ts):
        inside = clock.in_time_window(clock.local_second_of_day(ts), self.start, self.end)
        self.state = TRUE if inside else FALSE


class _Temporal(_Cond):
    """``within``/``for``: over the last n cycles (now included)."""

    __slots__ = ("n", "want_all", "hist", "trues", "warms")

    def __init__(self, node_id, inputs, n, want_all):
        super().__init__(node_id, inputs)
        self.n, self.want_all = n, want_all
        self.hist: deque = deque()
        self.trues = self.warms = 0

    def eval(self, ts):
        s = self.inputs[0].state
        hist = self.hist
        hist.append(s)
        self.trues += s == TRUE
        self.warms += s == WARMING
        if len(hist) > self.n:
            old = hist.popleft()
            self.trues -= old == TRUE
            self.warms -= old == WARMING
        if self.warms or len(hist) < self.n:
            self.state = WARMING
        elif self.want_all:
            self.state = TRUE if self.trues == self.n else FALSE
        else:
            self.state = TRUE if self.trues else FALSE


class _Not(_Cond):
    __slots__ = ()

    def eval(self, ts):
        s = self.inputs[0].state
        self.state = WARMING if s == WARMING else 1 - s


class _And(_Cond):
    __slots__ = ()

    def eval(self, ts):
        a, b = self.inputs[0].state, self.inputs[1].state
        self.state = WARMING if a == WARMING or b == WARMING else (TRUE if a == TRUE and b == TRUE else FALSE)


class _Or(_Cond):
    __slots__ = ()

    def eval(self, ts):
        a, b = self.inputs[0].state, self.inputs[1].state
        self.state = WARMING if a == WARMING or b == WARMING else (TRUE if a == TRUE or b == TRUE else FALSE)


class _Rule(_Cond):
    __slots__ = ()

    def eval(self, ts):
        self.state = self.inputs[0].state


# ----------------------------------------------------------------------------- the evaluator


class IncrementalProgram:
    """A graph evaluated bar by bar (see the module docstring)."""

    def __init__(self, graph: Graph):
        self.graph = graph
        s = graph.settings
        self.base_s = s.bars_seconds
        self.cycle_s = s.cycle_seconds
        self._cycle_ns = s.cycle_seconds * clock.NS
        self._cycle_fast = clock.HOUR_NS % self._cycle_ns == 0
        self.late_bars = 0
        self.objs: list = []
        self.conds: list[_Cond] = []
        self._base_sources: dict[str, list[tuple[int, _Value]]] = {sym: [] for sym in s.symbols}
        self._aggs: dict[str, list[_Aggregator]] = {sym: [] for sym in s.symbols}
        agg_index: dict[tuple[str, int], _Aggregator] = {}
        dependents: dict[int, list[int]] = {}
        for node in graph.nodes:
            obj = self._build(node, agg_index)
            self.objs.append(obj)
            for i in node.inputs:
                dependents.setdefault(i, []).append(node.id)
            if isinstance(obj, _Cond):
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

    def _build(self, node, agg_index):
        objs = self.objs
        ins = [objs[i] for i in node.inputs]
        kind, op, p = node.kind, node.op, node.params
        if kind == "source":
            obj = _Value(node.id)
            sym = p[0]
            if node.tf == self.base_s:
                self._base_sources[sym].append((_FIELD_INDEX[op], obj))
            else:
                agg = agg_index.get((sym, node.tf))
                if agg is None:
                    agg = agg_index[(sym, node.tf)] = _Aggregator(node.tf)
                    self._aggs[sym].append(agg)
                agg.sources.append((_FIELD_INDEX[op], obj))
            return obj
        if kind == "const":
            return _Const(node.id, p[0])
        if kind == "indicator":
            return _Indicator(node.id, op, p, ins)
        if kind == "window":
            return _Window(node.id, op, p[0], ins[0])
        if kind in ("arith", "resample"):
            return _Bucketed(node.id, op, ins, node.tf, node.on_clock, self)
        if kind == "rule":
            return _Rule(node.id, ins)
        if op == "compare":
            return _Compare(node.id, ins, p[0])
        if op == "cross":
            return _Cross(node.id, ins, p[0])
        if op == "between":
            return _Between(node.id, ins)
        if op == "time_in":
            return _TimeIn(node.id, p[0])
        if op == "time_between":
            return _TimeBetween(node.id, *p)
        if op in ("within", "for"):
            return _Temporal(node.id, ins, p[0], op == "for")
        return {"not": _Not, "and": _And, "or": _Or}[op](node.id, ins)

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
            if isinstance(item, _Aggregator):
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
