"""The session summary at the close: when it is due, and its text (day PnL, trades, positions).

:class:`SessionSummary` counts the fills of the current session and, once the exchange's
close of a session the bot was running for has passed, says that session's summary is due
(once).  The clock is data time in replay and the wall clock in IB mode (the monitor's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import lru_cache

import pandas as pd

from rbts.dsl.exchange import EXCHANGE_TZ



@lru_cache(maxsize=4)
def _calendar(name: str):
    import exchange_calendars

    return exchange_calendars.get_calendar(name)


class SessionSummary:
    def __init__(self, calendar: str, started_ns: int | None = None) -> None:
        self._calendar = calendar
        self.started_ns = started_ns  # a close before it is not summarised (None: nothing is due yet)
        self._done: set[dt.date] = set()
        self._closes: dict[dt.date, int | None] = {}
        self._fills: dict[dt.date, list[int]] = {}  # session day -> [entries, exits]
        # session day -> [first mark, last mark], exact (per cycle) and coarse (other readings)
        self._equity: dict[bool, dict[dt.date, list[float]]] = {True: {}, False: {}}

    def on_fill(self, ts_ns: int, side: str) -> None:
        counts = self._fills.setdefault(_day(ts_ns), [0, 0])
        counts[0 if side == "BUY" else 1] += 1

    def mark(self, ts_ns: int, equity: float, exact: bool = False) -> None:
        """The equity at ``ts_ns`` (the day's first mark is its start, its last one its end);
        a day with exact marks (the strategy's, per cycle) is summarised from those alone."""
        marks = self._equity[exact].setdefault(_day(ts_ns), [equity, equity])
        marks[1] = equity

    def due(self, now_ns: int) -> list[tuple[dt.date, int]]:
        """(session, its close) for each close passed since the last call (once each), oldest first."""
        today = _day(now_ns)
        days = []
        for back in range(7, -1, -1):
            day = today - dt.timedelta(days=back)
            close = self._close_ns(day)
            if close is not None and day not in self._done and self.started_ns is not None \
                    and self.started_ns < close <= now_ns:
                self._done.add(day)
                days.append((day, close))
        return days

    def text(self, day: dt.date, positions: Iterable[Mapping]) -> str:
        """The summary of ``day`` (its counts are forgotten); ``positions`` are those open now."""
        entries, exits = self._fills.pop(day, (0, 0))
        exact, coarse = self._equity[True].pop(day, None), self._equity[False].pop(day, None)
        start, end = exact or coarse or (None, None)
        if start is None:
            pnl = "day PnL unknown (no marks that day)"
        else:
            pct = f" ({(end - start) / start:+.2%})" if start > 0 else ""
            pnl = f"day PnL {end - start:+,.2f}{pct}, equity {end:,.2f}"
        held = [f"{p['symbol']} {p['qty']:g} @ {p['avg_px']:.2f} (unrealised {p['unrealized_pnl']:+,.2f})"
                for p in positions]
        return (f"session {day.isoformat()} closed: {pnl}; "
                f"{entries} entr{'y' if entries == 1 else 'ies'}, {exits} exit{'' if exits == 1 else 's'}; "
                f"open positions: {', '.join(held) if held else 'none'}")

    def _close_ns(self, day: dt.date) -> int | None:
        if day not in self._closes:
            cal = _calendar(self._calendar)
            stamp = pd.Timestamp(day)
            if cal.first_session <= stamp <= cal.last_session and cal.is_session(stamp):
                self._closes[day] = int(cal.session_close(stamp).value)
            else:
                self._closes[day] = None
        return self._closes[day]


def _day(ts_ns: int) -> dt.date:
    return pd.Timestamp(ts_ns, tz="UTC").tz_convert(EXCHANGE_TZ).date()
