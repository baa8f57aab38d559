"""``AlertSender``: alerts leave on their own thread, so sending never blocks trading.

``send`` only puts the alert on a bounded queue (a full queue drops it at once); one
worker thread delivers each alert to every route that wants it through Apprise, with a
timeout per attempt and retries with back-off.  An alert that cannot be delivered is
handed to ``on_dropped`` (the bot records it as an ``alert_dropped`` event in the store).
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rbts.runtime.alerts.config import AlertRoute


QUEUE_SIZE = 200
TIMEOUT_S = 10.0
RETRY_DELAYS_S = (2.0, 10.0, 30.0)  # after the first failed attempt, the second, the third


@dataclass(frozen=True)
class Alert:
    kind: str  # one of config.KINDS
    level: str  # one of config.LEVELS
    title: str
    body: str


Dropped = Callable[[Alert, str, str], None]  # (alert, destination, reason)


class ApprisePlace:
    """One Apprise URL, its secrets masked in everything we write."""

    def __init__(self, url: str, timeout_s: float) -> None:
        import apprise

        asset = apprise.AppriseAsset(app_id="RBTS", app_desc="Rule-Based Trading Strategies", async_mode=False)
        self._apprise = apprise.Apprise(asset=asset)
        if not self._apprise.add(url):
            raise ValueError(f"not an Apprise URL it understands: {mask(url)}")
        plugin = self._apprise[0]
        plugin.socket_connect_timeout = timeout_s
        plugin.socket_read_timeout = timeout_s
        self.name = plugin.url(privacy=True).split("?", 1)[0]  # our own timeout parameters are noise

    def send(self, alert: Alert) -> bool:
        import apprise

        kind = {"info": apprise.NotifyType.INFO, "warning": apprise.NotifyType.WARNING}.get(
            alert.level, apprise.NotifyType.FAILURE)
        return bool(self._apprise.notify(title=alert.title, body=alert.body, notify_type=kind))


def mask(url: str) -> str:
    """``scheme://…`` only: a URL Apprise could not read may still hold a token."""
    return url.split("://", 1)[0] + "://…"


class AlertSender:
    def __init__(self, routes: Iterable[AlertRoute], *, on_dropped: Dropped | None = None,
                 queue_size: int = QUEUE_SIZE, timeout_s: float = TIMEOUT_S,
                 retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S) -> None:
        self.routes = tuple(routes)
        self._on_dropped = on_dropped or (lambda *_: None)
        self._delays = retry_delays_s
        self._places: list[tuple[AlertRoute, ApprisePlace | None, str]] = []
        for route in self.routes:
            try:
                place = ApprisePlace(route.url, timeout_s)
                self._places.append((route, place, place.name))
            except ValueError as exc:
                self._places.append((route, None, str(exc)))
        self._queue: queue.Queue[Alert | None] = queue.Queue(maxsize=queue_size)
        self._full: collections.deque[Alert] = collections.deque(maxlen=10 * queue_size)  # dropped: queue full
        self._deadline: float | None = None  # set by close(): give up on what is left after it
        self._thread = threading.Thread(target=self._run, name="rbts-alerts", daemon=True)
        self._thread.start()

    def problems(self) -> list[str]:
        """URLs Apprise did not understand (they never receive anything)."""
        return [name for _route, place, name in self._places if place is None]

    def send(self, alert: Alert) -> bool:
        """Queue ``alert`` for every route that wants it; never blocks (False: dropped)."""
        if not any(route.wants(alert.kind, alert.level) for route in self.routes):
            return True
        try:
            self._queue.put_nowait(alert)
            return True
        except queue.Full:
            # recorded by the worker: the caller may be inside a store transaction
            self._full.append(alert)
            return False

    def close(self, timeout_s: float = 10.0) -> None:
        """Deliver what is queued for at most ``timeout_s``, then stop (the rest is dropped)."""
        self._deadline = time.monotonic() + timeout_s
        while True:
            try:
                self._queue.put(None, timeout=max(0.01, self._deadline - time.monotonic()))
                break
            except queue.Full:
                if time.monotonic() >= self._deadline:
                    break
        self._thread.join(max(0.0, self._deadline - time.monotonic()) + 1.0)
        self._record_full()
        self._drain_dropped("the bot stopped before it could be sent")

    def _record_full(self) -> None:
        while self._full:
            self._on_dropped(self._full.popleft(), "every destination", "the alert queue was full")

    def _run(self) -> None:
        while True:
            alert = self._queue.get()
            self._record_full()
            if alert is None:
                return
            if self._expired():
                self._on_dropped(alert, "every destination", "the bot stopped before it could be sent")
                continue
            for route, place, name in self._places:
                if route.wants(alert.kind, alert.level):
                    self._deliver(alert, place, name)

    def _deliver(self, alert: Alert, place: ApprisePlace | None, name: str) -> None:
        if place is None:
            self._on_dropped(alert, name, "the URL is not understood")
            return
        for attempt in range(len(self._delays) + 1):
            try:
                if place.send(alert):
                    return
                reason = "the service refused it or did not answer in time"
            except Exception as exc:  # a plugin bug must not end the thread
                reason = f"{type(exc).__name__}: {exc}"
            if attempt == len(self._delays) or self._expired():
                break
            if not self._sleep(self._delays[attempt]):
                break
        self._on_dropped(alert, name, f"{reason} (after {attempt + 1} attempt(s))")

    def _expired(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline

    def _sleep(self, seconds: float) -> bool:
        """Back off; False when closing leaves no time for another attempt."""
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            if self._deadline is not None and until >= self._deadline:
                return False
            time.sleep(min(0.1, left))
        return True

    def _drain_dropped(self, reason: str) -> None:
        while True:
            try:
                alert = self._queue.get_nowait()
            except queue.Empty:
                return
            if alert is not None:
                self._on_dropped(alert, "every destination", reason)
