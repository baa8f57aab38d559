"""The live bot's state store: one SQLite file (WAL) under ``<home>/live/``.

The bot's monitor actor is the only writer of the state tables; the UI and
``rbts status`` read them from other processes.  The ``commands`` table is the
other direction: the CLI/UI insert a command (apply, flatten, stop, ...), the
bot's controller claims it, runs it and writes the result.

Size is bounded: the per-cycle tables (rule states, equity), fills and events
keep their newest rows only, and terminal orders beyond a cap are dropped
oldest first (working orders are never dropped).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS status (key TEXT PRIMARY KEY, value TEXT, updated REAL);
CREATE TABLE IF NOT EXISTS positions (
    symbol TEXT PRIMARY KEY, instrument_id TEXT, side TEXT, qty REAL, avg_px REAL,
    unrealized_pnl REAL, realized_pnl REAL, updated REAL);
CREATE TABLE IF NOT EXISTS orders (
    client_order_id TEXT PRIMARY KEY, symbol TEXT, side TEXT, type TEXT, qty REAL,
    price REAL, status TEXT, filled_qty REAL, avg_px REAL, strategy_version TEXT,
    ts_init INTEGER, updated REAL, terminal INTEGER);
CREATE TABLE IF NOT EXISTS fills (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER, client_order_id TEXT, symbol TEXT,
    side TEXT, qty REAL, price REAL, trade_id TEXT, strategy_version TEXT);
CREATE TABLE IF NOT EXISTS cycles (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER, symbol TEXT, rules TEXT,
    "values" TEXT, blocked_by TEXT, strategy_version TEXT);
CREATE INDEX IF NOT EXISTS cycles_symbol ON cycles (symbol, id);
CREATE TABLE IF NOT EXISTS equity (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER, equity REAL, cash REAL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, wall REAL, ts INTEGER, level TEXT, kind TEXT,
    message TEXT);
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL, command TEXT, args TEXT,
    state TEXT DEFAULT 'pending', result TEXT, done REAL);
"""

TERMINAL_ORDER_STATES = frozenset(
    {"FILLED", "CANCELED", "EXPIRED", "REJECTED", "DENIED"}
)


@dataclass(frozen=True)
class Limits:
    """How many rows each bounded table keeps."""

    cycles: int = 20_000
    equity: int = 20_000
    fills: int = 10_000
    events: int = 5_000
    terminal_orders: int = 10_000
    commands: int = 500


def default_path(live_dir: Path) -> Path:
    return Path(live_dir) / "state.db"


class StateStore:
    """A connection to the state store; cheap to open, one per thread/process."""

    def __init__(self, path: str | Path, *, limits: Limits | None = None, create: bool = True) -> None:
        self.path = Path(path)
        self.limits = limits or Limits()
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise FileNotFoundError(self.path)
        self._db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA busy_timeout=10000")
        if create:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------- writing
    def transaction(self):
        """``with store.transaction():`` groups writes (one fsync per flush)."""
        return _Transaction(self._db)

    def set_status(self, **values: Any) -> None:
        now = time.time()
        self._db.executemany(
            "INSERT INTO status (key, value, updated) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value, updated=excluded.updated",
            [(k, json.dumps(v), now) for k, v in values.items()],
        )

    def replace_positions(self, rows: Iterable[Mapping[str, Any]]) -> None:
        now = time.time()
        self._db.execute("DELETE FROM positions")
        self._db.executemany(
            "INSERT INTO positions VALUES (:symbol, :instrument_id, :side, :qty, :avg_px, "
            ":unrealized_pnl, :realized_pnl, :updated)",
            [{**r, "updated": now} for r in rows],
        )

    def upsert_orders(self, rows: Iterable[Mapping[str, Any]]) -> None:
        now = time.time()
        self._db.executemany(
            "INSERT INTO orders VALUES (:client_order_id, :symbol, :side, :type, :qty, :price, "
            ":status, :filled_qty, :avg_px, :strategy_version, :ts_init, :updated, :terminal) "
            "ON CONFLICT(client_order_id) DO UPDATE SET status=excluded.status, "
            "filled_qty=excluded.filled_qty, avg_px=excluded.avg_px, price=excluded.price, "
            "updated=excluded.updated, terminal=excluded.terminal",
            [{**r, "updated": now, "terminal": int(r["status"] in TERMINAL_ORDER_STATES)} for r in rows],
        )

    def add_fills(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self._db.executemany(
            "INSERT INTO fills (ts, client_order_id, symbol, side, qty, price, trade_id, strategy_version) "
            "VALUES (:ts, :client_order_id, :symbol, :side, :qty, :price, :trade_id, :strategy_version)",
            list(rows),
        )

    def add_cycle(self, ts: int, per_symbol: Mapping[str, Mapping[str, Any]], version: str | None) -> None:
        """One cycle: per symbol (``""`` for the global rules) its rule states, values, blockers."""
        self._db.executemany(
            'INSERT INTO cycles (ts, symbol, rules, "values", blocked_by, strategy_version) VALUES (?,?,?,?,?,?)',
            [
                (ts, sym, json.dumps(d.get("rules", {})), json.dumps(d.get("values", {})),
                 json.dumps(d.get("blocked_by", [])), version)
                for sym, d in per_symbol.items()
            ],
        )

    def add_equity(self, ts: int, equity: float, cash: float) -> None:
        self._db.execute("INSERT INTO equity (ts, equity, cash) VALUES (?, ?, ?)", (ts, equity, cash))

    def log_event(self, message: str, *, level: str = "INFO", kind: str = "info", ts: int | None = None) -> None:
        self._db.execute(
            "INSERT INTO events (wall, ts, level, kind, message) VALUES (?, ?, ?, ?, ?)",
            (time.time(), ts, level, kind, message),
        )

    def prune(self) -> None:
        """Drop the oldest rows beyond the limits (the store never grows without bound)."""
        lim = self.limits
        for table, keep in (("cycles", lim.cycles), ("equity", lim.equity), ("fills", lim.fills),
                            ("events", lim.events), ("commands", lim.commands)):
            self._db.execute(f"DELETE FROM {table} WHERE id <= (SELECT MAX(id) FROM {table}) - ?", (keep,))
        self._db.execute(
            "DELETE FROM orders WHERE terminal = 1 AND client_order_id IN (SELECT client_order_id FROM orders "
            "WHERE terminal = 1 ORDER BY updated DESC LIMIT -1 OFFSET ?)",
            (lim.terminal_orders,),
        )

    def reset(self) -> None:
        """Forget everything of a previous run (a new bot process starts clean)."""
        with self.transaction():
            for table in ("status", "positions", "orders", "fills", "cycles", "equity", "events"):
                self._db.execute(f"DELETE FROM {table}")
            self._db.execute("DELETE FROM commands WHERE state != 'pending'")

    # ---------------------------------------------------------------- commands
    def send_command(self, command: str, **args: Any) -> int:
        cur = self._db.execute(
            "INSERT INTO commands (created, command, args) VALUES (?, ?, ?)",
            (time.time(), command, json.dumps(args)),
        )
        return int(cur.lastrowid)

    def claim_commands(self) -> list[dict[str, Any]]:
        """The pending commands, oldest first, marked as running (bot side)."""
        with self.transaction():
            rows = self._db.execute(
                "SELECT id, command, args FROM commands WHERE state = 'pending' ORDER BY id"
            ).fetchall()
            self._db.executemany("UPDATE commands SET state='running' WHERE id=?", [(r["id"],) for r in rows])
        return [{"id": r["id"], "command": r["command"], "args": json.loads(r["args"] or "{}")} for r in rows]

    def finish_command(self, command_id: int, ok: bool, result: str = "") -> None:
        self._db.execute(
            "UPDATE commands SET state=?, result=?, done=? WHERE id=?",
            ("done" if ok else "failed", result, time.time(), command_id),
        )

    def command(self, command_id: int) -> dict[str, Any] | None:
        row = self._db.execute("SELECT * FROM commands WHERE id=?", (command_id,)).fetchone()
        return dict(row) if row else None

    # ----------------------------------------------------------------- reading
    def status(self) -> dict[str, Any]:
        rows = self._db.execute("SELECT key, value, updated FROM status").fetchall()
        out = {r["key"]: json.loads(r["value"]) for r in rows}
        if rows:
            out["updated"] = max(r["updated"] for r in rows)
        return out

    def positions(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM positions ORDER BY symbol")

    def orders(self, *, working_only: bool = False) -> list[dict[str, Any]]:
        where = "WHERE terminal = 0" if working_only else ""
        return self._rows(f"SELECT * FROM orders {where} ORDER BY ts_init, client_order_id")

    def fills(self, limit: int = 100) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM fills ORDER BY id DESC LIMIT ?", (limit,))

    def events(self, limit: int = 100) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM events ORDER BY id DESC LIMIT ?", (limit,))

    def equity(self, limit: int = 5_000) -> list[dict[str, Any]]:
        rows = self._rows("SELECT ts, equity, cash FROM equity ORDER BY id DESC LIMIT ?", (limit,))
        return rows[::-1]

    def latest_cycle(self) -> dict[str, dict[str, Any]]:
        """symbol -> {ts, rules, values, blocked_by} of the newest cycle row per symbol."""
        rows = self._rows(
            'SELECT c.* FROM cycles c JOIN (SELECT symbol, MAX(id) AS id FROM cycles GROUP BY symbol) m '
            "ON c.id = m.id ORDER BY c.symbol"
        )
        return {
            r["symbol"]: {
                "ts": r["ts"], "rules": json.loads(r["rules"]), "values": json.loads(r["values"]),
                "blocked_by": json.loads(r["blocked_by"]), "strategy_version": r["strategy_version"],
            }
            for r in rows
        }

    def count(self, table: str) -> int:
        if table not in ("positions", "orders", "fills", "cycles", "equity", "events", "commands"):
            raise ValueError(table)
        return int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def _rows(self, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self._db.execute(sql, params).fetchall()]


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *_exc) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
