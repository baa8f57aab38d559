"""``state: redis://HOST:PORT`` (SPEC §6.4): the bot keeps Nautilus' cache and message bus in
Redis, and publishes what `rbts status` and the Live tab show, so they can watch it from
another machine.

The bot side: :func:`node_configs` (Nautilus ``CacheConfig`` and ``MessageBusConfig`` on the
Redis database) and :class:`SnapshotWriter` (the monitor's view of the state store, written
to one Redis key every :data:`EVERY_FLUSHES` flushes).  The watcher side: :func:`read_snapshot`.
The embedded SQLite store stays the bot's own record either way; Redis is how others see it.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from rbts.dsl.errors import RbtsError

EVERY_FLUSHES = 4  # a snapshot every 2 s (the monitor flushes every 0.5 s)
SNAPSHOT_TTL_S = 7 * 24 * 3600  # a bot gone for a week is forgotten
TIMEOUT_S = 2.0


@dataclass(frozen=True)
class RedisTarget:
    host: str
    port: int
    password: str | None = None
    username: str | None = None
    db: int = 0

    def client(self):
        import redis

        return redis.Redis(host=self.host, port=self.port, username=self.username, password=self.password,
                           db=self.db, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)

    @property
    def label(self) -> str:
        return f"redis://{self.host}:{self.port}"


def parse_state(value: str | None, where: str = "rbts.yaml") -> RedisTarget | None:
    """None for the embedded SQLite store (``sqlite`` or unset), else where Redis is."""
    if value in (None, "", "sqlite"):
        return None
    parts = urlsplit(str(value))
    if parts.scheme != "redis" or not parts.hostname:
        raise RbtsError(f"{where}: state must be sqlite or redis://HOST:PORT, not {value!r}")
    try:
        port = parts.port or 6379
        db = int(parts.path.strip("/") or 0)
    except ValueError:
        raise RbtsError(f"{where}: state {value!r}: the port and database must be numbers") from None
    return RedisTarget(parts.hostname, port, parts.password or None, parts.username or None, db)


def snapshot_key(trader_id: str) -> str:
    return f"trader-{trader_id}:rbts:snapshot"


def node_configs(target: RedisTarget, mode: str) -> dict[str, Any]:
    """TradingNodeConfig fields that put Nautilus' cache and message bus in Redis."""
    from nautilus_trader.cache.config import CacheConfig
    from nautilus_trader.common.config import DatabaseConfig, MessageBusConfig

    database = DatabaseConfig(type="redis", host=target.host, port=target.port, username=target.username,
                              password=target.password, connection_timeout=5, response_timeout=5)
    return {
        # replay starts from its catalog with a fresh simulated account: yesterday's replay
        # orders must not come back (a resumed replay gets its positions from the store's
        # checkpoint); IB keeps them (reconciliation is the better for it)
        "cache": CacheConfig(database=database, encoding="json", buffer_interval_ms=100,
                             flush_on_start=mode == "replay"),
        "message_bus": MessageBusConfig(database=database, encoding="json", stream_per_topic=False,
                                        buffer_interval_ms=100, autotrim_mins=60),
    }


class SnapshotWriter:
    """Writes the state store's view to Redis (the monitor calls it after its flushes)."""

    def __init__(self, target: RedisTarget, trader_id: str) -> None:
        self._client = target.client()
        self._key = snapshot_key(trader_id)
        self._count = 0

    def maybe_write(self, view_fn) -> None:
        self._count += 1
        if self._count % EVERY_FLUSHES == 1:
            self.write(view_fn())

    def write(self, view: dict) -> None:
        published = {**view, "published": time.time(), "host": socket.gethostname()}
        self._client.set(self._key, json.dumps(published, default=str), ex=SNAPSHOT_TTL_S)

    def close(self) -> None:
        self._client.close()


def read_snapshot(target: RedisTarget, trader_id: str) -> dict | None:
    """The bot's latest published view, or None when it has published none."""
    import redis

    client = target.client()
    try:
        raw = client.get(snapshot_key(trader_id))
    except redis.RedisError as exc:
        raise RbtsError(f"cannot read the bot's state from {target.label}: {exc}") from None
    finally:
        client.close()
    return json.loads(raw) if raw else None


def published_elsewhere(view: dict | None) -> bool:
    """The snapshot comes from a bot on another machine (this one can watch it, not control it)."""
    return bool(view) and view.get("host") not in (None, socket.gethostname())
