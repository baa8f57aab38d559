"""The `alerts:` setting and RBTS_ALERTS: routes, kinds, levels, and clear errors."""

from __future__ import annotations

import pytest

from rbts.dsl.errors import RbtsError
from rbts.runtime.alerts.config import KINDS, AlertRoute, parse_routes, routes_from_env
from rbts.runtime.settings import load_settings

YAML = """
alerts:
  - url: json://127.0.0.1:9/phone
    events: [fill, breaker]
    level: warning
  - tgram://token/chat
"""


def test_yaml_routes_with_kinds_levels_and_bare_urls(tmp_path, monkeypatch):
    monkeypatch.delenv("RBTS_ALERTS", raising=False)
    (tmp_path / "rbts.yaml").write_text(YAML)
    phone, telegram = load_settings(tmp_path).alerts
    assert phone == AlertRoute("json://127.0.0.1:9/phone", frozenset({"fill", "breaker"}), "warning")
    assert telegram == AlertRoute("tgram://token/chat", frozenset(KINDS), "info")
    assert phone.wants("breaker", "warning") and phone.wants("fill", "critical")
    assert not phone.wants("fill", "info")  # below its level
    assert not phone.wants("summary", "error")  # not a kind it asked for
    assert phone.wants("test", "info")  # `rbts alerts test` reaches every destination


def test_env_replaces_the_file_list(tmp_path, monkeypatch):
    (tmp_path / "rbts.yaml").write_text(YAML)
    monkeypatch.setenv("RBTS_ALERTS", "json://a/b  ntfy://topic")
    assert [r.url for r in load_settings(tmp_path).alerts] == ["json://a/b", "ntfy://topic"]
    monkeypatch.setenv("RBTS_ALERTS", "[{url: 'json://a/b', events: [died], level: error}]")
    assert load_settings(tmp_path).alerts == (AlertRoute("json://a/b", frozenset({"died"}), "error"),)


def test_a_url_with_yaml_characters_stays_one_url():
    assert routes_from_env("json://h/p?x=1#frag") == (AlertRoute("json://h/p?x=1#frag"),)


@pytest.mark.parametrize(("data", "message"), [
    ([{"url": "json://a/b", "events": ["fills"]}], "alerts[0]): unknown event kind 'fills' (known: fill,"),
    ([{"url": "json://a/b", "level": "loud"}], "alerts[0]): unknown level 'loud'"),
    ([{"url": "not a url"}], "alerts[0]): url must be an Apprise URL"),
    ([{"url": "json://a/b", "to": "x"}], "alerts[0]): unknown key 'to'"),
    ({"url": "json://a/b"}, "alerts must be a list"),
])
def test_bad_entries_are_named(data, message):
    with pytest.raises(RbtsError) as err:
        parse_routes(data, "rbts.yaml")
    assert message in str(err.value.diagnostics[0].message)


def test_no_alerts_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("RBTS_ALERTS", raising=False)
    assert load_settings(tmp_path).alerts == ()
