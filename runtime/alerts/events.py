"""Which of the bot's store events become alerts, of which kind and level.

Every event the bot writes to its state store passes here (``StateStore.log_event`` is the
one place events are written); most kinds map one to one, a few are left out as noise.
"""

from __future__ import annotations

from rbts.runtime.alerts.sender import Alert

# store event kind -> alert kind (config.KINDS)
ALERT_KIND = {
    "fill": "fill",
    "max_daily_loss": "breaker",
    "safe_mode": "safe_mode",
    "apply": "apply",
    "connection": "connection",
    "feed_silent": "feed",
    "order_rejected": "order",
    "order_denied": "order",
    "error": "error",
    "strategy_error": "error",
    "stopped": "stopped",
    "died": "died",
    "summary": "summary",
}
# the store's level is too low for these
MIN_LEVEL = {"strategy_error": "error", "error": "error", "max_daily_loss": "warning", "died": "error"}
TITLE_CHARS = 100


def alert_for(kind: str, level: str, message: str, where: str = "") -> Alert | None:
    """The alert for a store event, or None when it is not one (``where`` names the bot)."""
    alert_kind = ALERT_KIND.get(kind)
    if alert_kind is None:
        return None
    # An apply writes "loading VERSION (why)" then "running VERSION": the second says it was taken.
    if kind == "apply" and level.upper() == "INFO" and message.startswith("loading "):
        return None
    from rbts.runtime.alerts.config import LEVELS, level_rank

    level = level.lower() if level.lower() in LEVELS else "info"
    floor = MIN_LEVEL.get(kind)
    if floor is not None and level_rank(floor) > level_rank(level):
        level = floor
    first = message.splitlines()[0] if message else alert_kind
    title = first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"
    body = message + (f"\n\n{where}" if where else "")
    return Alert(alert_kind, level, f"RBTS {alert_kind}: {title}", body)
