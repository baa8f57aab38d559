"""The ``alerts:`` setting: where alerts go, which event kinds each place wants, from which level.

In ``rbts.yaml``::

    alerts:
      - url: tgram://BOT_TOKEN/CHAT_ID          # any Apprise URL
        events: [fill, breaker, safe_mode, died] # default: every kind
        level: info                              # minimum level; default info
      - mailto://user:app-password@gmail.com     # a bare URL: every kind from info

``RBTS_ALERTS`` in the environment replaces that list (secrets stay out of files): either
URLs separated by spaces, or the same list in YAML flow form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from rbts.dsl.errors import RbtsError

LEVELS = ("info", "warning", "error", "critical")

# kind -> what it covers (shown by `rbts alerts kinds` and in errors)
KINDS = {
    "fill": "entry and exit fills (rule, price, PnL)",
    "breaker": "max_daily_loss tripped",
    "safe_mode": "safe mode entered and left",
    "apply": "a new strategy version taken, or refused (with the reason)",
    "connection": "IB connection lost, restored or unreachable",
    "feed": "a feed silent during trading hours, and back",
    "order": "an order rejected or denied",
    "error": "an internal error in the bot",
    "stopped": "the bot stopped",
    "died": "the bot died (from the supervisor)",
    "summary": "the session summary at the close (day PnL, trades, open positions)",
    "test": "`rbts alerts test`",
}


def level_rank(level: str) -> int:
    return LEVELS.index(level.lower())


@dataclass(frozen=True)
class AlertRoute:
    """One destination: an Apprise URL, the kinds it wants and its minimum level."""

    url: str
    kinds: frozenset[str] = frozenset(KINDS)
    level: str = "info"

    def wants(self, kind: str, level: str) -> bool:
        if kind == "test":
            return True
        return kind in self.kinds and level_rank(level) >= level_rank(self.level)


def parse_routes(data: Any, where: str) -> tuple[AlertRoute, ...]:
    """The ``alerts:`` list (or a single URL) as routes; errors name the entry."""
    if data is None:
        return ()
    if isinstance(data, str):
        return tuple(AlertRoute(url) for url in data.split())
    if not isinstance(data, list):
        raise RbtsError(f"{where}: alerts must be a list of URLs or of {{url, events, level}} entries")
    return tuple(_route(item, f"{where} (alerts[{i}])") for i, item in enumerate(data))


def _route(item: Any, where: str) -> AlertRoute:
    if isinstance(item, str):
        item = {"url": item}
    if not isinstance(item, dict):
        raise RbtsError(f"{where}: expected a URL or a mapping with url, events, level")
    unknown = set(item) - {"url", "events", "level"}
    if unknown:
        raise RbtsError(f"{where}: unknown key {sorted(unknown)[0]!r} (known: url, events, level)")
    url = item.get("url")
    if not isinstance(url, str) or "://" not in url:
        raise RbtsError(f"{where}: url must be an Apprise URL such as json://host/path or tgram://token/chat")
    level = str(item.get("level", "info")).lower()
    if level not in LEVELS:
        raise RbtsError(f"{where}: unknown level {level!r} (use {', '.join(LEVELS)})")
    events = item.get("events", "all")
    if events == "all":
        kinds = frozenset(KINDS)
    else:
        if isinstance(events, str):
            events = [events]
        if not isinstance(events, list) or not events:
            raise RbtsError(f"{where}: events must be a list of kinds or 'all'")
        bad = [e for e in events if e not in KINDS]
        if bad:
            raise RbtsError(f"{where}: unknown event kind {bad[0]!r} (known: {', '.join(KINDS)})")
        kinds = frozenset(events)
    return AlertRoute(url, kinds, level)


def routes_from_env(raw: str) -> tuple[AlertRoute, ...]:
    """``RBTS_ALERTS``: URLs separated by spaces, or a YAML flow list like the file's."""
    if not raw.strip().startswith(("[", "-")):
        return parse_routes(raw, "RBTS_ALERTS")  # plain URLs: not YAML ('#' or ': ' may be in them)
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise RbtsError(f"RBTS_ALERTS: invalid YAML: {exc}") from None
    return parse_routes(data, "RBTS_ALERTS")
