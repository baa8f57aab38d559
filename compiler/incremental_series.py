"""Series nodes of the incremental evaluator: each keeps its last update (instant,
value, ready) and steps when an input updated at the instant being processed.

Semantics: docs/semantics.md (the same as :mod:`rbts.compiler.vector`).
"""

from __future__ import annotations

import math
from collections import deque

from rbts.compiler import clock
from rbts.compiler.indicators import SPECS, feeder, make
from rbts.dsl.functions import FUNCTIONS

INF = float("inf")


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
        return -INF if negative else INF
    return a / b


# ----------------------------------------------------------------------------- series nodes


class SeriesValue:
    """A series node's last update: instant, value, ready."""

    __slots__ = ("id", "ts", "value", "ready")

    def __init__(self, node_id: int):
        self.id = node_id
        self.ts = -1
        self.value = float("nan")
        self.ready = False

    def step(self, now: int) -> None:  # sources and constants are set from outside
        pass


class ConstValue(SeriesValue):
    __slots__ = ()

    def __init__(self, node_id: int, value: float):
        super().__init__(node_id)
        self.value = value
        self.ready = True


class IndicatorStep(SeriesValue):
    __slots__ = ("inputs", "ind", "feed", "needs_day")

    def __init__(self, node_id, func, params, inputs):
        super().__init__(node_id)
        self.inputs = inputs
        self.ind = make(func, params)
        self.feed = feeder(func, self.ind)
        self.needs_day = SPECS[func].feed == "bar_volume_day"  # fed the New York day too

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
            if self.needs_day:
                args.append(clock.local_day_number(now))
            self.value = self.feed(*args)
            self.ready = self.ind.initialized
        else:
            self.value, self.ready = float("nan"), False


class WindowStep(SeriesValue):
    __slots__ = ("input", "k", "spec", "combine", "hist", "streak", "extremes", "count")

    def __init__(self, node_id, op, k, x):
        super().__init__(node_id)
        self.input, self.k = x, k
        self.spec = FUNCTIONS[op].window
        self.combine = self.spec.combine
        self.hist = deque(maxlen=k + 1)  # (value, ready) of the last k+1 updates of x
        self.streak = 0  # consecutive ready updates of x, for highest/lowest
        self.extremes: deque = deque()  # highest/lowest: monotonic (index, value), NaN skipped
        self.count = 0

    def step(self, now):
        x = self.input
        if x.ts != now:
            return
        self.ts = now
        k, spec = self.k, self.spec
        if spec.kind == "extreme":
            self._extreme(x.value, spec.highest)
            self.streak = self.streak + 1 if x.ready else 0
            self.ready = self.streak >= k
            return
        hist = self.hist
        hist.append((x.value, x.ready))
        if len(hist) <= k:
            self.value, self.ready = float("nan"), False
            return
        back, back_ready = hist[0]
        self.value = self.combine(x.value, back, k, scalar_op)
        self.ready = (x.ready and back_ready) if spec.needs_now else back_ready

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


class BucketedStep(SeriesValue):
    """arith/resample: updates at its clock's instants with its inputs' last values."""

    __slots__ = ("inputs", "op", "tf", "on_clock", "due", "owner")

    def __init__(self, node_id, op, inputs, tf, on_clock, owner):
        super().__init__(node_id)
        self.inputs, self.op, self.tf, self.on_clock = inputs, op, tf, on_clock
        self.due = -1
        self.owner = owner  # the evaluator, for scheduling

    def step(self, now):
        if self.due != now:
            if not any(x.ts == now for x in self.inputs if not isinstance(x, ConstValue)):
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


class Aggregator:
    """Builds one symbol's bars of one larger timeframe from its base bars."""

    __slots__ = ("tf", "end", "bar", "sources")

    def __init__(self, tf: int):
        self.tf = tf
        self.end = -1
        self.bar: list[float] | None = None
        self.sources: list[tuple[int, SeriesValue]] = []

    def close(self, now: int, dirty: set) -> None:
        bar, self.bar = self.bar, None
        for index, obj in self.sources:
            obj.ts, obj.value, obj.ready = now, bar[index], True
            dirty.add(obj.id)
