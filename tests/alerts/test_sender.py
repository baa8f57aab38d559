"""AlertSender against a real local HTTP endpoint (Apprise's json://): what arrives, retries,
timeouts, a full queue, and that nothing is lost silently (every undelivered alert is reported)."""
from __future__ import annotations

import time

from support.http_sink import HttpSink

from rbts.runtime.alerts.config import AlertRoute
from rbts.runtime.alerts.sender import Alert, AlertSender

BREAKER = Alert("breaker", "warning", "RBTS breaker: daily loss", "daily loss 2.1% reached max_daily_loss 2%")
FILL = Alert("fill", "info", "RBTS fill: AAPL entry filled", "AAPL entry filled: bought 10 @ 182.10 (rule x)")


def test_alerts_arrive_with_title_body_and_type():
    with HttpSink() as sink:
        sender = AlertSender([AlertRoute(sink.url())])
        assert sender.send(BREAKER) and sender.send(FILL)
        sender.close(10)
        assert sink.delivered() == [
            {"version": "1.0", "title": BREAKER.title, "message": BREAKER.body, "attachments": [], "type": "warning"},
            {"version": "1.0", "title": FILL.title, "message": FILL.body, "attachments": [], "type": "info"},
        ]


def test_each_destination_gets_only_its_kinds_and_levels():
    with HttpSink() as sink:
        routes = [AlertRoute(sink.url("everything")),
                  AlertRoute(sink.url("breaker-only"), frozenset({"breaker"})),
                  AlertRoute(sink.url("warnings"), level="warning")]
        sender = AlertSender(routes)
        sender.send(FILL)
        sender.send(BREAKER)
        sender.close(10)
        assert [b["title"] for b in sink.delivered("everything")] == [FILL.title, BREAKER.title]
        assert [b["title"] for b in sink.delivered("breaker-only")] == [BREAKER.title]
        assert [b["title"] for b in sink.delivered("warnings")] == [BREAKER.title]


def test_a_failing_service_is_retried_with_back_off_until_it_answers():
    dropped = []
    with HttpSink(statuses=[500, 503]) as sink:
        sender = AlertSender([AlertRoute(sink.url())], on_dropped=lambda *a: dropped.append(a),
                             retry_delays_s=(0.05, 0.05, 0.05))
        sender.send(BREAKER)
        sender.close(10)
        assert sink.attempts == 3 and [b["title"] for b in sink.delivered()] == [BREAKER.title]
    assert dropped == []


def test_a_service_that_never_answers_times_out_each_attempt_and_the_alert_is_reported_dropped():
    dropped = []
    with HttpSink(hang=True) as sink:
        sender = AlertSender([AlertRoute(sink.url())], on_dropped=lambda *a: dropped.append(a),
                             timeout_s=0.3, retry_delays_s=(0.05, 0.05))
        sender.send(BREAKER)
        sender.close(20)
        assert sink.attempts == 3  # one try and two retries, each cut off by the timeout
    [(alert, where, reason)] = dropped
    assert alert == BREAKER and where.startswith("json://127.0.0.1") and "after 3 attempt(s)" in reason


def test_sending_never_waits_for_the_service_a_full_queue_drops_and_reports():
    """With the only worker stuck on a service that hangs, send() still returns at once:
    two alerts fit the queue, the rest are dropped and reported (nothing blocks the bot)."""
    dropped = []
    with HttpSink(hang=True) as sink:
        sender = AlertSender([AlertRoute(sink.url())], on_dropped=lambda *a: dropped.append(a),
                             queue_size=2, timeout_s=5, retry_delays_s=())
        sender.send(FILL)
        sink.wait_for(lambda s: s.attempts == 1, what="the worker to be stuck on the first alert")
        results = [sender.send(Alert("fill", "info", f"fill {i}", "")) for i in range(5)]
        assert results == [True, True, False, False, False]
        sender.close(0.5)
    # the alert in flight is reported by the worker once its attempt ends (the sink closed above);
    # that happens on the worker's thread, so wait for it (on a loaded machine it came after close())
    deadline = time.monotonic() + 10
    while len(dropped) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    reasons = [reason for _alert, _where, reason in dropped]
    assert reasons.count("the alert queue was full") == 3
    # what was still queued when the bot stopped is reported too, not lost silently
    assert len(dropped) == 6 and {a.title for a, _, _ in dropped} >= {"fill 0", "fill 1"}


def test_a_url_apprise_does_not_understand_is_reported_not_fatal():
    dropped = []
    with HttpSink() as sink:
        sender = AlertSender([AlertRoute("nosuchservice://x/y"), AlertRoute(sink.url())],
                             on_dropped=lambda *a: dropped.append(a))
        assert sender.problems() == ["not an Apprise URL it understands: nosuchservice://…"]
        sender.send(FILL)
        sender.close(10)
        assert len(sink.delivered()) == 1
    assert [(a.kind, w) for a, w, _ in dropped] == [("fill", "not an Apprise URL it understands: nosuchservice://…")]
