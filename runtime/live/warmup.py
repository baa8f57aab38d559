"""Warm-up of a live strategy: how much history its rules need, and feeding that history.

A live (or swapped-in) strategy starts with an empty evaluator; without history its
rules stay *warming* for as long as their longest indicator or window needs, which can
be days.  At start the strategy requests the bars of the sessions its rules need
(``rbts.compiler.warmup.warmup_sessions``, the estimate backtests and traces use) and
:class:`WarmUp` feeds them to the evaluator in time order — cycles
are evaluated on the way (``crosses``, ``within`` and ``for`` need their past cycles)
but nothing is traded on history.  Live bars that arrive meanwhile are held and
applied after the history; a live bar the history already holds is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rbts.dsl.exchange import EXCHANGE_TZ


HISTORY_TIMEOUT_S = 30.0  # never wait longer than this for history: trade cold rather than never
SESSIONS_PARAM = "rbts_warmup_sessions"  # request param: the replay counts sessions back from its cursor


def history_start_ns(day, sessions: int) -> int:
    """New York midnight ``sessions`` exchange sessions before ``day``: where the history begins.

    The same prefix a backtest or trace starting on ``day`` loads (``rbts.compiler.warmup``),
    so a live strategy is as warm at its first cycle as a backtest is at its start.
    """
    import pandas as pd

    from rbts.compiler.warmup import warmup_start

    return int(pd.Timestamp(warmup_start(day, sessions), tz=EXCHANGE_TZ).as_unit("ns").value)


class WarmUp:
    """Collects historical bars, then applies them (and the live bars held meanwhile) in order."""

    def __init__(self, requests: int, timeout_s: float = HISTORY_TIMEOUT_S) -> None:
        self.pending = requests
        self.deadline = time.monotonic() + timeout_s
        self.history: list[tuple[int, int, str, tuple]] = []  # (ts, seconds, symbol, ohlcv)
        self.held: list[tuple[Callable, object]] = []  # live bars: (handler, bar)
        self.last: dict[tuple[str, int], int] = {}  # (symbol, seconds) -> newest history ts
        self.done = False  # until apply()

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
