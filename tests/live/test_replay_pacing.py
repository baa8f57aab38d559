"""Replay pacing (issue #16 defect 6): the player sleeps ``Δt / speed`` between instants, and a gap
longer than ``max_gap_s`` of data time (a night, a weekend) is shortened to one bar, *including the
first one*.  The default start lies at a session close, so the first gap is a whole night: it was
taken as the step itself and the first cycle after the start came ~105 s late at x600.

The player (``ReplayDataClient._play``) runs here on a stand-in holding only what it reads, with
``asyncio.sleep`` recorded instead of slept: no node, no wall-clock assertion.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pandas as pd
from nautilus_trader.model.data import BarType

from rbts.runtime.live import replay
from rbts.runtime.live.replay import ReplayDataClient, ReplayDataClientConfig


def ny(text: str) -> int:
    return int(pd.Timestamp(text, tz="America/New_York").as_unit("ns").value)


class Player:
    """What ``_play`` touches, with the real replay client's own helpers."""

    _next_instant = ReplayDataClient._next_instant
    _step_ns = getattr(ReplayDataClient, "_step_ns", None)

    def __init__(self, config: ReplayDataClientConfig, series: dict[BarType, list[int]]) -> None:
        self._cfg = config
        self._series = {bt: [SimpleNamespace(ts_init=ts) for ts in stamps] for bt, stamps in series.items()}
        self._positions = {bt: 0 for bt in series}
        self._cursor_ns = config.start_ns - 1
        self._hold = self._parked = False  # the controller released it
        self.finished = False
        self.published: list[int] = []
        self._msgbus = SimpleNamespace(publish=self._publish)
        self._log = SimpleNamespace(warning=lambda _msg: None)

    def _publish(self, topic: str, ts: int) -> None:
        if topic == replay.TOPIC_INSTANT:
            self.published.append(ts)

    def _handle_data(self, _bar) -> None:
        pass

    async def _settle(self) -> None:
        pass


def play(config: ReplayDataClientConfig, series, monkeypatch) -> tuple[Player, list[tuple[int, float]]]:
    """Run the player to the end of its bars; (player, [(next instant, seconds slept before it)])."""
    player = Player(config, series)
    sleeps: list[tuple[int, float]] = []

    async def record(seconds: float) -> None:
        sleeps.append((player._cursor_ns, seconds))

    monkeypatch.setattr(replay.asyncio, "sleep", record)
    asyncio.run(ReplayDataClient._play(player))
    return player, sleeps


def minutes(day: str, first: str, count: int) -> list[int]:
    start = pd.Timestamp(f"{day} {first}", tz="America/New_York")
    return [int(ts.value) for ts in pd.date_range(start, periods=count, freq="1min").as_unit("ns")]


AAPL_1M = BarType.from_str("AAPL.RBTS-1-MINUTE-LAST-EXTERNAL")
AAPL_5M = BarType.from_str("AAPL.RBTS-5-MINUTE-LAST-EXTERNAL")


def test_first_night_after_a_start_at_the_session_close_is_shortened_to_one_bar(monkeypatch):
    # the default start (a session close): the 16:00 bar, then the next morning's session
    stamps = [ny("2025-03-10 16:00")] + minutes("2025-03-11", "09:31", 10)
    config = ReplayDataClientConfig(home="unused", start_ns=ny("2025-03-10 16:00"), speed=600.0)
    player, sleeps = play(config, {AAPL_1M: stamps}, monkeypatch)
    assert player.published == stamps and player.finished
    paced = [s for cursor, s in sleeps if cursor >= config.start_ns]
    assert len(paced) == len(stamps) - 1
    assert max(paced) <= 60 / 600  # the night took one bar's time, like every later one: 0.1 s
    assert sum(paced) == len(paced) * 60 / 600


def test_a_weekend_is_one_bar_and_gaps_inside_the_session_keep_their_length(monkeypatch):
    stamps = minutes("2025-03-07", "15:58", 3) + minutes("2025-03-10", "09:31", 2) + minutes("2025-03-10", "09:35", 1)
    five = [ny("2025-03-07 16:00"), ny("2025-03-10 09:35")]  # a higher timeframe the strategy also uses
    config = ReplayDataClientConfig(home="unused", start_ns=stamps[0], speed=100.0)
    player, sleeps = play(config, {AAPL_1M: stamps, AAPL_5M: five}, monkeypatch)
    gaps = [s for cursor, s in sleeps if cursor >= config.start_ns]
    # 15:58 -> 15:59 -> 16:00 -> (weekend) 09:31 -> 09:32 -> (two bars missing) 09:35
    assert gaps == [0.6, 0.6, 0.6, 0.6, 1.8]
    assert player.published == stamps
