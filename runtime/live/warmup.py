"""Warm-up of a live strategy: how much history its rules need, and feeding that history.

A live (or swapped-in) strategy starts with an empty evaluator; without history its
rules stay *warming* for as long as their longest indicator or window needs, which can
be days.  At start the strategy requests the bars its rules need (:func:`bars_needed`
per timeframe) and :class:`WarmUp` feeds them to the evaluator in time order — cycles
are evaluated on the way (``crosses``, ``within`` and ``for`` need their past cycles)
but nothing is traded on history.  Live bars that arrive meanwhile are held and
applied after the history; a live bar the history already holds is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rbts.compiler.graph import Graph
from rbts.compiler.indicators import warmup_length

HISTORY_TIMEOUT_S = 30.0  # never wait longer than this for history: trade cold rather than never


def lookback_seconds(graph: Graph) -> int:
    """Data time the rules need behind a cycle before nothing is warming (at least one cycle)."""
    need: dict[int, int] = {}
    cycle = graph.settings.cycle_seconds
    longest = cycle
    for node in graph.nodes:  # topological order: inputs first
        before = max((need[i] for i in node.inputs), default=0)
        own = 0
        if node.kind == "indicator":
            try:
                own = warmup_length(node.op, node.params) * (node.tf or 0)
            except KeyError:
                own = int(node.params[0]) * (node.tf or 0) if node.params else 0
        elif node.kind == "window":
            own = int(node.params[0]) * (node.tf or 0)
        elif node.kind == "resample":
            own = node.tf or 0
        elif node.kind == "cond":  # within/for/crosses look back over cycles
            own = (max((int(p) for p in node.params if isinstance(p, int)), default=1) + 1) * cycle
        need[node.id] = before + own
        longest = max(longest, need[node.id])
    return longest


def bars_needed(lookback_s: int, tf_seconds: int) -> int:
    """Bars of ``tf_seconds`` to request: three times the lookback (recursive averages such as EMA
    then agree with a long-running backtest to a fraction of a percent) plus the newest bar."""
    return max(2, -(-lookback_s // tf_seconds) * 3 + 2)


def history_span_s(lookback_s: int) -> int:
    """Calendar time to ask a broker for: trading hours are ~1/4 of the day, plus weekends and holidays."""
    return lookback_s * 4 + 4 * 86_400


class WarmUp:
    """Collects historical bars, then applies them (and the live bars held meanwhile) in order."""

    def __init__(self, requests: int, timeout_s: float = HISTORY_TIMEOUT_S) -> None:
        self.pending = requests
        self.deadline = time.monotonic() + timeout_s
        self.history: list[tuple[int, int, str, tuple]] = []  # (ts, seconds, symbol, ohlcv)
        self.held: list[tuple[Callable, object]] = []  # live bars: (handler, bar)
        self.last: dict[tuple[str, int], int] = {}  # (symbol, seconds) -> newest history ts
        self.done = requests == 0

    def expired(self) -> bool:
        return time.monotonic() > self.deadline

    def add(self, symbol: str, seconds: int, ts: int, ohlcv: tuple) -> None:
        self.history.append((ts, seconds, symbol, ohlcv))

    def apply(self, feed, is_cycle, evaluate, base_seconds: int) -> int:
        """Feed the history in time order (base bars before larger ones at an instant), evaluating
        the cycles on the way (an instant with a base bar); returns the number of bars applied."""
        self.history.sort(key=lambda r: (r[0], r[1]))
        last_cycle = None
        for ts, seconds, symbol, ohlcv in self.history:
            if last_cycle is not None and ts > last_cycle[0]:
                evaluate(last_cycle[0])
                last_cycle = None
            feed(symbol, seconds, ts, *ohlcv)
            self.last[(symbol, seconds)] = ts
            if seconds == base_seconds and last_cycle is None and is_cycle(ts):
                last_cycle = (ts,)
        if last_cycle is not None:
            evaluate(last_cycle[0])
        self.done = True
        count = len(self.history)
        self.history = []
        return count
