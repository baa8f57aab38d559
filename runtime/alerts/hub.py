"""The bot process's alerts: one sender, fed by every event its state store writes.

``start(settings)`` (in ``rbts live``) listens on ``StateStore.log_event``; ``close()`` at
the end delivers what is still queued for a few seconds.  Alerts that could not be
delivered are written back to the store as ``alert_dropped`` events (never alerted).
"""

from __future__ import annotations

from rbts.runtime.alerts.events import alert_for
from rbts.runtime.alerts.sender import Alert, AlertSender
from rbts.runtime.live import store as state_store
from rbts.runtime.settings import Settings


class Hub:
    def __init__(self, settings: Settings, **sender_options) -> None:
        self._store_path = state_store.default_path(settings.live_dir)
        self._where = f"bot in {settings.home}"
        self.sender = AlertSender(settings.alerts, on_dropped=self._record_dropped, **sender_options)
        for problem in self.sender.problems():
            self._record(f"alerts: {problem}; nothing is sent there")
        state_store.add_event_listener(self.on_event)

    def on_event(self, kind: str, level: str, message: str, ts: int | None) -> None:
        alert = alert_for(kind, level, message, self._where)
        if alert is not None:
            self.sender.send(alert)

    def close(self, timeout_s: float = 10.0) -> None:
        state_store.remove_event_listener(self.on_event)
        self.sender.close(timeout_s)

    def _record_dropped(self, alert: Alert, where: str, reason: str) -> None:
        self._record(f"alert not delivered to {where}: {reason} — {alert.title}")

    def _record(self, message: str) -> None:
        try:
            with state_store.StateStore(self._store_path) as st:
                st.log_event(message, level="WARNING", kind="alert_dropped")
        except Exception:  # the store is gone (shutting down): nothing else to tell
            pass


def start(settings: Settings) -> Hub | None:
    """The bot's alert hub, or None when no alert destination is configured."""
    return Hub(settings) if settings.alerts else None
