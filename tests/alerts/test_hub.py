"""The bot's alert hub: every event the state store writes passes through it (the one place
events are written), becomes an alert of the right kind and level, and an alert that cannot
be delivered comes back as an ``alert_dropped`` event in the store."""

from __future__ import annotations

from dataclasses import replace

import pytest
from support.http_sink import HttpSink

from rbts.runtime.alerts.config import AlertRoute
from rbts.runtime.alerts.events import alert_for
from rbts.runtime.alerts.hub import Hub
from rbts.runtime.live.store import StateStore, default_path
from rbts.runtime.settings import load_settings

# (store kind, level, message) -> the alert kind and level it becomes
EVENTS = [
    ("fill", "INFO", "AAPL entry filled: bought 10 @ 182.10 (rule bull_cross)", "fill", "info"),
    ("max_daily_loss", "WARNING", "daily loss 2.10% reached max_daily_loss 2.00%", "breaker", "warning"),
    ("safe_mode", "WARNING", "safe mode: flattened by user", "safe_mode", "warning"),
    ("safe_mode", "INFO", "safe mode left: running demo v3", "safe_mode", "info"),
    ("apply", "INFO", "running demo v3", "apply", "info"),
    ("apply", "ERROR", "strategy rejected, the running version stays: x.rbts:3:1: error", "apply", "error"),
    ("connection", "WARNING", "connection to IB lost; reconnecting", "connection", "warning"),
    ("connection", "INFO", "connection to IB restored; subscriptions renewed", "connection", "info"),
    ("feed_silent", "WARNING", "feed silent: no AAPL bar since 10:02", "feed", "warning"),
    ("feed_silent", "INFO", "feed back: AAPL bars arrive again", "feed", "info"),
    ("order_rejected", "WARNING", "order rejected: no margin", "order", "warning"),
    ("strategy_error", "INFO", "ZeroDivisionError", "error", "error"),  # raised to error
    ("summary", "INFO", "session 2025-03-11 closed: day PnL -200.00", "summary", "info"),
]


@pytest.mark.parametrize(("kind", "level", "message", "alert_kind", "alert_level"), EVENTS)
def test_store_events_map_to_alert_kinds_and_levels(kind, level, message, alert_kind, alert_level):
    alert = alert_for(kind, level, message, "bot in /srv/rbts")
    assert (alert.kind, alert.level) == (alert_kind, alert_level)
    assert alert.title == f"RBTS {alert_kind}: {message}" and alert.body == f"{message}\n\nbot in /srv/rbts"


@pytest.mark.parametrize(("kind", "message"), [
    ("apply", "loading demo v3 (apply)"),  # the "running" event that follows says it was taken
    ("warm_up", "warm-up: 390 historical bars applied"),
    ("entry_skipped", "not enough free cash"),
    ("alert_dropped", "alert not delivered"),  # never an alert about an alert
])
def test_noise_is_not_alerted(kind, message):
    assert alert_for(kind, "INFO", message) is None


def _settings(home, *routes):
    return replace(load_settings(home), alerts=tuple(routes))


def test_events_written_to_the_store_arrive_as_alerts(tmp_path):
    with HttpSink() as sink:
        hub = Hub(_settings(tmp_path, AlertRoute(sink.url())))
        with StateStore(default_path(tmp_path / "live")) as store:
            for kind, level, message, *_ in EVENTS[:3]:
                store.log_event(message, level=level, kind=kind)
            store.log_event("loading demo v3 (apply)", kind="apply")
        hub.close(10)
        assert [b["title"] for b in sink.delivered()] == [f"RBTS {a}: {m}" for _k, _l, m, a, _ in EVENTS[:3]]
    with StateStore(default_path(tmp_path / "live")) as store:
        store.log_event("after close", kind="fill")  # the hub no longer listens
        assert [e["kind"] for e in store.events()][0] == "fill"


def test_an_undeliverable_alert_is_an_event_in_the_store(tmp_path):
    with HttpSink(statuses=[500] * 3) as sink:
        hub = Hub(_settings(tmp_path, AlertRoute(sink.url())), retry_delays_s=(0.05, 0.05))
        with StateStore(default_path(tmp_path / "live")) as store:
            store.log_event("daily loss 2.10% reached max_daily_loss 2.00%", level="WARNING", kind="max_daily_loss")
        hub.close(10)
        assert sink.attempts == 3 and sink.delivered() == []
    with StateStore(default_path(tmp_path / "live")) as store:
        [dropped] = [e for e in store.events() if e["kind"] == "alert_dropped"]
    assert dropped["level"] == "WARNING"
    assert dropped["message"].startswith(f"alert not delivered to json://127.0.0.1:{sink.port}/alerts: ")
    assert "after 3 attempt(s)" in dropped["message"] and "RBTS breaker: daily loss 2.10%" in dropped["message"]
