"""One place for defaults: ``rbts.yaml`` in the home, then ``RBTS_*`` env vars, then flags.

The home folder is ``--home`` / ``RBTS_HOME`` / ``./.rbts`` (SPEC §3) and holds
``catalog/`` (bars), ``strategies/`` (the registry) and ``live/`` (the bot).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from rbts.dsl.errors import RbtsError
from rbts.dsl.exchange import EXCHANGE_CALENDAR, EXCHANGE_TZ

DEFAULT_HOME = Path(".rbts")
NESTED = ("ib", "ray")  # sections of rbts.yaml with their own RBTS_<SECTION>_* variables


def resolve_home(flag: str | Path | None = None) -> Path:
    if flag:
        return Path(flag).expanduser().resolve()
    env = os.environ.get("RBTS_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return DEFAULT_HOME.resolve()


@dataclass(frozen=True)
class IBSettings:
    host: str = "127.0.0.1"
    port: int = 4002  # IB Gateway paper; TWS paper is 7497
    client_id: int = 11
    account: str | None = None
    market_data_type: str = "DELAYED_FROZEN"  # REALTIME needs a market-data subscription
    max_connection_attempts: int = 3


@dataclass(frozen=True)
class RaySettings:
    address: str | None = None  # HOST:PORT of a Ray cluster's head: `rbts sweep` runs there


@dataclass(frozen=True)
class Settings:
    home: Path
    capital: float = 10_000.0
    timezone: str = EXCHANGE_TZ
    calendar: str = EXCHANGE_CALENDAR
    replay_speed: float = 600.0
    ib: IBSettings = field(default_factory=IBSettings)
    ray: RaySettings = field(default_factory=RaySettings)
    # symbol -> overrides, e.g. {"BRK B": {"venue": "NYSE", "kind": "equity"}}
    symbols: dict[str, dict[str, Any]] = field(default_factory=dict)
    # where alerts go (rbts.runtime.alerts.config.AlertRoute); RBTS_ALERTS replaces the list
    alerts: tuple = ()
    # "sqlite" (the embedded store) or redis://HOST:PORT: Nautilus' cache and bus in Redis (SPEC §6.4)
    state: str = "sqlite"
    # `rbts live --detach` runs the bot under a supervisor: restarts after a death, waiting these
    # seconds (the last one repeats), and gives up after max_crashes deaths within crash_window_s
    restart_delays_s: tuple = (5.0, 15.0, 60.0, 300.0)
    max_crashes: int = 5
    crash_window_s: float = 3600.0

    @property
    def catalog_dir(self) -> Path:
        return self.home / "catalog"

    @property
    def strategies_dir(self) -> Path:
        return self.home / "strategies"

    @property
    def live_dir(self) -> Path:
        return self.home / "live"


def load_settings(home: str | Path | None = None) -> Settings:
    """Settings for a home: defaults < rbts.yaml < RBTS_* environment variables."""
    root = resolve_home(home)
    source = "--home" if home else "RBTS_HOME" if os.environ.get("RBTS_HOME") else "the home folder"
    if root.exists() and not root.is_dir():
        raise RbtsError(f"{source} {root} is a file, not a folder (the home holds catalog/, strategies/ and live/)")
    blocker = next((p for p in root.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:  # FILE/x: no folder can ever be made there (NotADirectoryError later)
        raise RbtsError(f"{source} {root} cannot be a folder: {blocker} is a file")
    data: dict[str, Any] = {}
    path = root / "rbts.yaml"
    if path.exists():
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise RbtsError(f"{path}: invalid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise RbtsError(f"{path}: expected a mapping of settings")
    settings = Settings(home=root)
    settings = _apply(settings, data, str(path))
    ib = _apply(settings.ib, data.get("ib") or {}, f"{path} (ib)")
    ib = _apply_env(ib, "RBTS_IB_")
    ray = _apply_env(_apply(settings.ray, _section(data, "ray", path), f"{path} (ray)"), "RBTS_RAY_")
    settings = _apply_env(replace(settings, ib=ib, ray=ray), "RBTS_")
    settings = replace(settings, alerts=_alerts(data.get("alerts"), str(path)),
                       restart_delays_s=_delays(settings.restart_delays_s, str(path)))
    from rbts.runtime.live.redis_state import parse_state

    parse_state(settings.state, str(path))  # a bad URL is an error now, not when the bot starts
    return settings


def _delays(value: Any, where: str) -> tuple:
    try:
        delays = tuple(float(v) for v in (value if isinstance(value, list | tuple) else [value]))
    except (TypeError, ValueError):
        delays = ()
    if not delays or any(d < 0 for d in delays):
        raise RbtsError(f"{where}: restart_delays_s must be a list of seconds, e.g. [5, 15, 60, 300]")
    return delays


def _alerts(data: Any, where: str) -> tuple:
    from rbts.runtime.alerts.config import parse_routes, routes_from_env

    raw = os.environ.get("RBTS_ALERTS")
    return routes_from_env(raw) if raw is not None else parse_routes(data, where)


def _section(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    section = data.get(name) or {}
    if not isinstance(section, dict):
        raise RbtsError(f"{path}: {name}: expected a mapping, e.g. {name}: {{address: HOST:PORT}}")
    return section


def _apply(obj, data: dict[str, Any], where: str):
    known = {f.name: f for f in fields(obj)}
    changes = {}
    for key, value in data.items():
        if key in NESTED or key == "alerts" or key not in known:  # alerts: parsed by _alerts
            if key not in known and key not in NESTED:
                raise RbtsError(f"{where}: unknown setting {key!r} (known: {', '.join(sorted(known))})")
            continue
        changes[key] = _typed(getattr(obj, key), value, f"{where}: {key}")
    return replace(obj, **changes)


def _typed(current: Any, value: Any, where: str) -> Any:
    """A YAML value as the type of the setting's default (an int where a float belongs is fine)."""
    if current is None or value is None or isinstance(current, (dict, list, tuple)):  # tuples: checked by their own parser
        if isinstance(current, dict) and not isinstance(value, dict):
            raise RbtsError(f"{where}: expected a mapping, got {value!r}")
        return value
    kind = type(current)
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise RbtsError(f"{where}: expected {kind.__name__}, got {value!r}")


def _apply_env(obj, prefix: str):
    changes = {}
    for f in fields(obj):
        raw = os.environ.get(prefix + f.name.upper())
        if raw is None or f.name in ("home", "symbols", "alerts", "restart_delays_s", *NESTED):
            continue
        current = getattr(obj, f.name)
        try:
            changes[f.name] = type(current)(raw) if current is not None else raw
        except ValueError:
            raise RbtsError(f"{prefix}{f.name.upper()}={raw!r}: expected {type(current).__name__}") from None
    return replace(obj, **changes)
