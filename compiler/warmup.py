"""How much history a compiled strategy needs before its first cycle.

Traces and backtests over ``[start, end]`` load bars from a few sessions before
``start`` so that indicators and windows are ready when the range begins (as a
live bot is warmed up with ``request_bars``).  Cycles before ``start`` are
evaluated -- crosses and within/for need them -- but never reported or traded.

The estimate is deliberately generous (an over-long prefix only costs loading
time; a short one would leave rules warming inside the range): every node needs
the history of its inputs plus its own lookback, counted in sessions of regular
trading hours (6.5 h), the least data a session can hold.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from rbts.compiler.graph import Graph, GraphBackend
from rbts.compiler.indicators import SPECS
from rbts.dsl.exchange import EXCHANGE_CALENDAR, EXCHANGE_TZ

SESSION_SECONDS = 6.5 * 3600
DAY = 86_400
MAX_SESSIONS = 400  # about 1.6 years


def bars_per_session(tf: int) -> float:
    """Bars of ``tf`` seconds that one regular session yields at least."""
    if tf >= DAY:
        return 1.0
    return max(1.0, math.floor(SESSION_SECONDS / tf))


def warmup_sessions(graph: Graph) -> int:
    """Sessions of history the graph needs before its first ready cycle."""
    lookback = _Lookback(graph.settings.cycle_seconds)
    need: list[float] = []
    for node in graph.nodes:
        before = max((need[i] for i in node.inputs), default=0.0)
        need.append(before + lookback.visit_node(node))
    sessions = math.ceil(max(need, default=0.0)) + 1
    return min(sessions, MAX_SESSIONS)


class _Lookback(GraphBackend):
    """``on_<op_key>``: the sessions of history a node needs beyond its inputs'."""

    def __init__(self, cycle: int):
        self.cycle = cycle

    def on_indicator(self, node) -> float:
        bars = SPECS[node.op].history_bars(node.params)
        return (bars + 1) / bars_per_session(node.tf or self.cycle)

    def on_window(self, node) -> float:
        return (node.params[0] + 1) / bars_per_session(node.tf or self.cycle)

    def on_within(self, node) -> float:
        return (node.params[0] + 1) / bars_per_session(self.cycle)

    on_for = on_within

    def on_cross(self, node) -> float:
        return 2 / bars_per_session(self.cycle)  # the previous cycle too

    def on_source(self, node) -> float:
        return 1 / bars_per_session(node.tf) if node.tf else 0.0

    on_resample = on_source

    def on_const(self, node) -> float:  # everything else needs nothing of its own
        return 0.0

    on_arith = on_compare = on_between = on_time_in = on_time_between = on_not = on_and = on_or = on_rule = on_const


def warmup_start(start: str | date, sessions: int, calendar: str = EXCHANGE_CALENDAR) -> str:
    """The New York day ``sessions`` exchange sessions before ``start`` (YYYY-MM-DD)."""
    import exchange_calendars as xcals

    day = pd.Timestamp(start).normalize()
    if day.tzinfo is not None:
        day = day.tz_convert(EXCHANGE_TZ).tz_localize(None).normalize()
    cal = xcals.get_calendar(calendar, start=day - pd.Timedelta(days=2 * sessions + 30),
                             end=day + pd.Timedelta(days=7))
    sessions_before = cal.sessions[cal.sessions < day]
    if len(sessions_before) == 0:
        return day.date().isoformat()
    first = sessions_before[max(0, len(sessions_before) - sessions)]
    return pd.Timestamp(first).date().isoformat()


def warmup_range(program, start: str | None, calendar: str = EXCHANGE_CALENDAR) -> tuple[str | None, pd.Timestamp | None]:
    """(first day to load, first instant to report) for a run that begins on ``start``.

    ``start`` is a New York day; with no start there is no prefix (everything loaded is
    reported).  Cycles from New York midnight of ``start`` on are reported.
    """
    if not start:
        return None, None
    first = pd.Timestamp(start)
    if first.tzinfo is None:
        first = first.tz_localize(EXCHANGE_TZ)
    load_from = warmup_start(first.tz_convert(EXCHANGE_TZ).date(), warmup_sessions(program.graph), calendar)
    return load_from, first.tz_convert("UTC")
