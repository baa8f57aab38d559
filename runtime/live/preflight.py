"""Everything that can fail about a new strategy version, checked while the running one still trades.

A version needs, in the bot's mode, (1) an instrument for every symbol (replay: the catalog
holds the symbol; IB: contract details), (2) its feeds and (3) the history its rules warm up
on.  :class:`Preflight` asks for exactly what the new strategy will use — its instruments,
then the warm-up history of every bar type it subscribes — through the controller (an
Actor), and says what is missing.  The history it received is handed to the new strategy, so
the strategy starts warm with the history that was checked (it does not ask again).

The strategy describes its needs with ``needs()`` (:class:`Needs`); a strategy without that
method (a plugin's) is checked for nothing beyond building.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

HISTORY_TIMEOUT_S = {"replay": 20.0, "ib": 45.0}  # below `rbts apply`'s 60 s wait; IB: paced requests


@dataclass(frozen=True)
class HistoryRequest:
    bar_type: object  # nautilus BarType (EXTERNAL)
    symbol: str
    start: object  # pandas Timestamp (UTC) or None
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Needs:
    instruments: dict  # symbol -> InstrumentId
    history: tuple[HistoryRequest, ...] = ()


@dataclass
class Preflight:
    """The checks of one apply; the controller forwards responses and polls :attr:`finished`."""

    actor: object  # the controller (requests go out through it)
    mode: str
    needs: Needs
    deadline: float = 0.0
    errors: list[str] = field(default_factory=list)
    history: dict = field(default_factory=dict)  # BarType -> [Bar]
    _instruments_pending: set = field(default_factory=set)
    _history_pending: dict = field(default_factory=dict)  # request id -> HistoryRequest
    _history_sent: bool = False

    def start(self) -> None:
        self.deadline = time.monotonic() + HISTORY_TIMEOUT_S.get(self.mode, 60.0)
        cache = self.actor.cache
        for symbol, iid in self.needs.instruments.items():
            if cache.instrument(iid) is not None:
                continue
            if self.mode == "replay":
                self.errors.append(f"{symbol}: the catalog holds no bars for it (replay trades catalog symbols only)")
            else:
                self._instruments_pending.add(iid)
                self.actor.request_instrument(iid, callback=lambda _rid, iid=iid: self._instrument_done(iid))
        self._advance()

    def _instrument_done(self, iid) -> None:
        self._instruments_pending.discard(iid)
        if self.actor.cache.instrument(iid) is None:
            symbol = next((s for s, i in self.needs.instruments.items() if i == iid), str(iid))
            self.errors.append(f"{symbol}: IB has no contract for {iid} (contract details request found nothing)")
        self._advance()

    def _advance(self) -> None:
        if self.errors or self._instruments_pending or self._history_sent:
            return
        self._history_sent = True
        for request in self.needs.history:
            self.history[request.bar_type] = []
            rid = self.actor.request_bars(request.bar_type, start=request.start, params=dict(request.params),
                                          callback=self._history_done)
            self._history_pending[rid] = request

    def on_bar(self, bar) -> bool:
        """A historical bar for one of this preflight's requests (True if it was)."""
        bars = self.history.get(bar.bar_type)
        if bars is None or not self._history_pending:
            return False
        bars.append(bar)
        return True

    def _history_done(self, request_id) -> None:
        request = self._history_pending.pop(request_id, None)
        if request is not None and not self.history.get(request.bar_type):
            self.errors.append(f"{request.symbol}: no warm-up history for {request.bar_type}")

    @property
    def finished(self) -> bool:
        if self.errors:
            return True
        if time.monotonic() > self.deadline:
            waiting = [str(i) for i in self._instruments_pending] + [
                str(r.bar_type) for r in self._history_pending.values()]
            self.errors.append(f"no answer within {HISTORY_TIMEOUT_S.get(self.mode, 60.0):.0f}s for: "
                               + ", ".join(waiting))
            return True
        return self._history_sent and not self._history_pending

    def reason(self) -> str:
        return "; ".join(self.errors)
