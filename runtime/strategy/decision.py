"""Each order carries the cycle that decided it and why, as a Nautilus order tag.

``rbts:decided=<cycle ts ns>;reason=<rule>`` where the reason is the entry rules
(``bull_cross``, ``a+b``) or the exit's cause (an exit rule, ``stop_loss``,
``take_profit``, ``trailing_stop``, ``max_daily_loss``, ``flatten``).  The live monitor stores
them with the order, so the Live tab's fill markers name the exact cycle and
cause.  Interactive Brokers' adapter reads only tags starting ``IBOrderTags:``;
this one never reaches the broker.
"""

from __future__ import annotations

from collections.abc import Iterable

PREFIX = "rbts:"


def tag(decided_ns: int | None, reason: str) -> str:
    """``decided_ns`` None: no cycle decided it (a user's flatten)."""
    return f"{PREFIX}decided={'' if decided_ns is None else int(decided_ns)};reason={reason}"


def parse(tags: Iterable[str] | None) -> tuple[int | None, str | None]:
    """(cycle ts, reason) of an order's tags; (None, None) when it has no rbts tag (an adopted order)."""
    for text in tags or ():
        if text.startswith(PREFIX):
            fields = dict(part.split("=", 1) for part in text[len(PREFIX):].split(";") if "=" in part)
            decided = fields.get("decided", "")
            return (int(decided) if decided.isdigit() else None), fields.get("reason")
    return None, None
