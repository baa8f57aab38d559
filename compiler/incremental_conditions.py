"""Condition nodes of the incremental evaluator: each holds its state at the current
cycle (FALSE/TRUE/WARMING) and is evaluated once per cycle, inputs first."""

from __future__ import annotations

from collections import deque

from rbts.compiler import clock
from rbts.compiler.protocol import FALSE, TRUE, WARMING


class CondState:
    """A condition's state at the current cycle (FALSE/TRUE/WARMING)."""

    __slots__ = ("id", "state", "inputs")

    def __init__(self, node_id: int, inputs: list):
        self.id = node_id
        self.state = WARMING
        self.inputs = inputs

    def eval(self, ts: int) -> None:
        raise NotImplementedError


COMPARISONS = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


class CompareState(CondState):
    __slots__ = ("test",)

    def __init__(self, node_id, inputs, op):
        super().__init__(node_id, inputs)
        self.test = COMPARISONS[op]

    def eval(self, ts):
        a, b = self.inputs
        if a.ready and b.ready:
            self.state = TRUE if self.test(a.value, b.value) else FALSE
        else:
            self.state = WARMING


class BetweenState(CondState):
    __slots__ = ()

    def eval(self, ts):
        v, lo, hi = self.inputs
        if v.ready and lo.ready and hi.ready:
            self.state = TRUE if lo.value <= v.value <= hi.value else FALSE
        else:
            self.state = WARMING


class CrossState(CondState):
    __slots__ = ("direction", "last")

    def __init__(self, node_id, inputs, direction):
        super().__init__(node_id, inputs)
        self.direction = direction
        self.last: tuple[float, float] | None = None  # operands at the previous cycle, if ready

    def eval(self, ts):
        a, b = self.inputs
        prev = self.last
        if a.ready and b.ready:
            now = (a.value, b.value)
            self.last = now
        else:
            self.last = None
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


class TimeInState(CondState):
    __slots__ = ("test",)

    def __init__(self, node_id, session):
        super().__init__(node_id, [])
        self.test = clock.in_rth_one if session == "RTH" else clock.in_eth_one

    def eval(self, ts):
        self.state = TRUE if self.test(ts) else FALSE


class TimeBetweenState(CondState):
    __slots__ = ("start", "end")

    def __init__(self, node_id, start, end):
        super().__init__(node_id, [])
        self.start, self.end = start, end

    def eval(self, ts):
        inside = clock.in_time_window(clock.local_second_of_day(ts), self.start, self.end)
        self.state = TRUE if inside else FALSE


class TemporalState(CondState):
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


class NotState(CondState):
    __slots__ = ()

    def eval(self, ts):
        s = self.inputs[0].state
        self.state = WARMING if s == WARMING else 1 - s


class AndState(CondState):
    __slots__ = ()

    def eval(self, ts):
        a, b = self.inputs[0].state, self.inputs[1].state
        self.state = WARMING if a == WARMING or b == WARMING else (TRUE if a == TRUE and b == TRUE else FALSE)


class OrState(CondState):
    __slots__ = ()

    def eval(self, ts):
        a, b = self.inputs[0].state, self.inputs[1].state
        self.state = WARMING if a == WARMING or b == WARMING else (TRUE if a == TRUE or b == TRUE else FALSE)


class RuleNodeState(CondState):
    __slots__ = ()

    def eval(self, ts):
        self.state = self.inputs[0].state
