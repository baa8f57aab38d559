"""Feed silence: warn when an instrument the bot depends on sends no bar for more than two cycles
during regular trading hours (SPEC §5, IB resilience).

Silence only counts inside the current regular session (XNYS): a feed is silent when
``now - max(last bar, session open) > 2 cycles``, so the overnight gap never counts and
the first minutes after the open do not raise a false alarm.  ``now`` is the wall clock
for IB and the replay's data clock (the newest bar of any feed) in replay.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from rbts.compiler import clock
from rbts.dsl.exchange import EXCHANGE_CALENDAR

GRACE_NS = 5_000_000_000  # live bars arrive a second or so after they close


def session_open(ts_ns: int, calendar: str = EXCHANGE_CALENDAR) -> int | None:
    """The open of the regular session ``ts_ns`` lies in ((open, close]), else None."""
    opens, closes, _ = clock.sessions_for(ts_ns, calendar)
    i = bisect_left(opens, ts_ns) - 1
    if i >= 0 and opens[i] < ts_ns <= closes[i]:
        return int(opens[i])
    return None


@dataclass
class FeedWatch:
    """Which expected feeds are silent now; reports each change once."""

    cycle_ns: int = 60_000_000_000
    grace_ns: int = GRACE_NS
    last: dict[str, int] = field(default_factory=dict)  # feed -> newest bar ts
    expected: set[str] = field(default_factory=set)
    silent: dict[str, int] = field(default_factory=dict)  # feed -> silent since (ts)
    since: dict[str, int] = field(default_factory=dict)  # feed -> when it became expected (its first check)

    def expect(self, feeds, cycle_s: int) -> None:
        """The feeds the running strategy needs; one it did not need before is owed bars only from the
        next check on (an apply that adds a ticker mid-session is not a silence since the open)."""
        self.expected = set(feeds)
        self.cycle_ns = int(cycle_s) * 1_000_000_000
        for feed in list(self.silent):
            if feed not in self.expected:
                del self.silent[feed]
        for feed in list(self.since):
            if feed not in self.expected:
                del self.since[feed]

    def on_bar(self, feed: str, ts_ns: int) -> None:
        if ts_ns > self.last.get(feed, 0):
            self.last[feed] = ts_ns

    def check(self, now_ns: int) -> tuple[list[str], list[str]]:
        """(feeds that fell silent, feeds that came back) since the last check."""
        opened = session_open(now_ns)
        went, back = [], []
        for feed in sorted(self.expected):
            expected_since = self.since.setdefault(feed, now_ns)
            since = max(self.last.get(feed, 0), opened or 0, expected_since)
            quiet = opened is not None and now_ns - since > 2 * self.cycle_ns + self.grace_ns
            if quiet and feed not in self.silent:
                self.silent[feed] = since
                went.append(feed)
            elif not quiet and feed in self.silent and self.last.get(feed, 0) > self.silent[feed]:
                del self.silent[feed]
                back.append(feed)
            elif not quiet and feed in self.silent and opened is None:
                del self.silent[feed]  # the session ended: nothing is expected any more
                back.append(feed)
        return went, back
