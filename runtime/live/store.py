"""The live bot's state store: one SQLite file (WAL) under ``<home>/live/``.

The bot's monitor actor is the only writer of the state tables; the UI and
``rbts status`` read them from other processes.  The ``commands`` table is the
other direction: the CLI/UI insert a command (apply, flatten, stop, ...), the
bot's controller claims it, runs it and writes the result.

Runs: every start of the bot is a numbered run (``runs``); orders, fills, cycles,
equity and events carry the run they belong to and are never wiped by a restart.
``status`` and ``positions`` describe the current (newest) run only; the status a
run ended with is kept in its ``runs`` row.  Readers default to the current run.

Size is bounded: the per-cycle tables (rule states, equity), fills, events and
the bars received (``bars``: the Live tab's candles) keep their newest rows only (over all runs), and terminal orders beyond a cap
are dropped oldest first (working orders are never dropped).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS status (key TEXT PRIMARY KEY, value TEXT, updated REAL);
CREATE TABLE IF NOT EXISTS positions (
    symbol TEXT PRIMARY KEY, instrument_id TEXT, side TEXT, qty REAL, avg_px REAL,
    unrealized_pnl REAL, realized_pnl REAL, updated REAL, exit_only INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS orders (
    client_order_id TEXT PRIMARY KEY, symbol TEXT, side TEXT, type TEXT, qty REAL,
    price REAL, status TEXT, filled_qty REAL, avg_px REAL, strategy_version TEXT,
    ts_init INTEGER, updated REAL, terminal INTEGER, run INTEGER, decided_ts INTEGER, reason TEXT);
CREATE TABLE IF NOT EXISTS fills (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER, client_order_id TEXT, symbol TEXT,
    side TEXT, qty REAL, price REAL, trade_id TEXT, strategy_version TEXT, run INTEGER);
CREATE TABLE IF NOT EXISTS cycles (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER, symbol TEXT, rules TEXT,
    "values" TEXT, blocked_by TEXT, strategy_version TEXT, run INTEGER);
CREATE TABLE IF NOT EXISTS equity (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER, equity REAL, cash REAL, run INTEGER, day_pnl REAL,
    realized_pnl REAL, unrealized_pnl REAL, positions TEXT, strategy_version TEXT, strategy_equity REAL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, wall REAL, ts INTEGER, level TEXT, kind TEXT,
    message TEXT, run INTEGER);
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL, command TEXT, args TEXT,
    state TEXT DEFAULT 'pending', result TEXT, done REAL);
CREATE TABLE IF NOT EXISTS bars (
    id INTEGER PRIMARY KEY AUTOINCREMENT, symbol TEXT, seconds INTEGER, ts INTEGER, open REAL, high REAL,
    low REAL, close REAL, volume REAL, UNIQUE (symbol, seconds, ts));
CREATE TABLE IF NOT EXISTS runs (
    run INTEGER PRIMARY KEY, pid INTEGER, mode TEXT, options TEXT, started REAL, ended REAL,
    end_state TEXT, end_detail TEXT, last_status TEXT);
"""
# Columns added since the first schema (an older store gains them when opened).
ADDED_COLUMNS = {
    "orders": ("run INTEGER", "decided_ts INTEGER", "reason TEXT"),  # the cycle (data time) and rule behind it
    "fills": ("run INTEGER",),
    "cycles": ("run INTEGER",),
    "equity": ("run INTEGER", "day_pnl REAL", "realized_pnl REAL", "unrealized_pnl REAL", "positions TEXT",
               "strategy_version TEXT", "strategy_equity REAL"),
    "events": ("run INTEGER",),
    "positions": ("exit_only INTEGER DEFAULT 0",),
}
INDEXES = """
CREATE INDEX IF NOT EXISTS cycles_symbol ON cycles (symbol, id);
CREATE INDEX IF NOT EXISTS cycles_run ON cycles (run, symbol, id);
CREATE INDEX IF NOT EXISTS equity_run ON equity (run, id);
CREATE INDEX IF NOT EXISTS fills_run ON fills (run, id);
CREATE INDEX IF NOT EXISTS events_run ON events (run, id);
"""
RUN_TABLES = ("orders", "fills", "cycles", "equity", "events")
# How a run ended (runs.end_state); NULL while it runs, or when its process died without saying.
END_STOPPED, END_KILLED, END_FAILED, END_DIED = "stopped", "killed", "failed", "died"

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
    bars: int = 50_000  # the bars the bot received, for the Live tab's candles (IB bars are in no catalog)
    terminal_orders: int = 10_000
    commands: int = 500


# Called with (kind, level, message, ts) for every event written in this process (the bot's
# alert hub listens here); a listener must not block or write to the store itself.
_event_listeners: list = []


def add_event_listener(listener) -> None:
    _event_listeners.append(listener)


def remove_event_listener(listener) -> None:
    if listener in _event_listeners:
        _event_listeners.remove(listener)


def default_path(live_dir: Path) -> Path:
    return Path(live_dir) / "state.db"


class StateStore:
    """A connection to the state store; cheap to open.  One instance may be shared by threads (the
    monitor flushes on the event loop and on its timer's thread): its transactions run one after
    another and another thread's statement waits for the transaction to end.

    ``run``: the run this connection writes for (the bot's own connections); rows written
    without one belong to the current run (the CLI recording a refused apply, say).
    """

    def __init__(self, path: str | Path, *, limits: Limits | None = None, create: bool = True,
                 run: int | None = None) -> None:
        self.path = Path(path)
        self.limits = limits or Limits()
        self.run = run
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise FileNotFoundError(self.path)
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        self._db = _SerialConnection(db)
        self._db.execute("PRAGMA busy_timeout=10000")
        if create:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            self._add_missing_columns()
            self._db.executescript(INDEXES)

    def _add_missing_columns(self) -> None:
        for table, columns in ADDED_COLUMNS.items():
            have = {r["name"] for r in self._db.execute(f"PRAGMA table_info({table})")}
            for column in columns:
                if column.split()[0] not in have:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -------------------------------------------------------------------- runs
    def begin_run(self, mode: str, options: Mapping[str, Any], pid: int | None = None) -> int:
        """Number a new run and make it current (call it holding the bot lock).

        The previous run keeps its rows; if it never said how it ended, its process died
        (killed or crashed) and the new run's first event says so.
        """
        import os

        pid = os.getpid() if pid is None else pid
        now = time.time()
        with self.transaction():
            prev = self._db.execute("SELECT * FROM runs ORDER BY run DESC LIMIT 1").fetchone()
            if prev is not None:
                self._db.execute("UPDATE runs SET last_status=? WHERE run=?",
                                 (json.dumps(self.status()), prev["run"]))
                if prev["end_state"] is None:
                    self._db.execute("UPDATE runs SET end_state=?, end_detail=? WHERE run=?",
                                     (END_DIED, "the process ended without a clean stop (killed or crashed)",
                                      prev["run"]))
            number = (prev["run"] if prev is not None else 0) + 1
            self._db.execute("INSERT INTO runs (run, pid, mode, options, started) VALUES (?, ?, ?, ?, ?)",
                             (number, pid, mode, json.dumps(dict(options)), now))
            self._db.execute("DELETE FROM status")
            self._db.execute("DELETE FROM positions")
            self.run = number
            self.log_event(f"run {number} started ({mode} mode, pid {pid})", kind="run")
            if prev is not None and prev["end_state"] is None:
                self.log_event(f"run {prev['run']} ended without a clean stop: its process (pid {prev['pid']}) "
                               "was killed or crashed", level="WARNING", kind="run")
        return number

    def end_run(self, run: int, state: str, detail: str | None = None) -> None:
        """Record how a run ended (stopped, killed by `rbts stop`, failed with an error)."""
        self._db.execute("UPDATE runs SET ended=?, end_state=?, end_detail=? WHERE run=? AND end_state IS NULL",
                         (time.time(), state, detail, run))

    def runs(self) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM runs ORDER BY run")
        for row in rows:
            row["options"] = json.loads(row["options"] or "{}")
            row["last_status"] = json.loads(row["last_status"]) if row["last_status"] else None
        return rows

    def current_run(self) -> int | None:
        row = self._db.execute("SELECT MAX(run) FROM runs").fetchone()
        return row[0]

    def _writing_run(self) -> int | None:
        return self.run if self.run is not None else self.current_run()

    def _reading_run(self, run: int | None) -> int | None:
        return run if run is not None else self.current_run()

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
            "INSERT INTO positions (symbol, instrument_id, side, qty, avg_px, unrealized_pnl, realized_pnl, "
            "updated, exit_only) VALUES (:symbol, :instrument_id, :side, :qty, :avg_px, :unrealized_pnl, "
            ":realized_pnl, :updated, :exit_only)",
            [{"exit_only": 0, **r, "updated": now} for r in rows],
        )

    def upsert_orders(self, rows: Iterable[Mapping[str, Any]]) -> None:
        now, run = time.time(), self._writing_run()
        self._db.executemany(
            "INSERT INTO orders (client_order_id, symbol, side, type, qty, price, status, filled_qty, avg_px, "
            "strategy_version, ts_init, updated, terminal, run, decided_ts, reason) VALUES (:client_order_id, "
            ":symbol, :side, :type, :qty, :price, :status, :filled_qty, :avg_px, :strategy_version, :ts_init, "
            ":updated, :terminal, :run, :decided_ts, :reason) "
            "ON CONFLICT(client_order_id) DO UPDATE SET status=excluded.status, "
            "filled_qty=excluded.filled_qty, avg_px=excluded.avg_px, price=excluded.price, "
            "updated=excluded.updated, terminal=excluded.terminal",
            [{"decided_ts": None, "reason": None, **r, "updated": now,
              "terminal": int(r["status"] in TERMINAL_ORDER_STATES), "run": run} for r in rows],
        )

    def add_fills(self, rows: Iterable[Mapping[str, Any]]) -> None:
        run = self._writing_run()
        self._db.executemany(
            "INSERT INTO fills (ts, client_order_id, symbol, side, qty, price, trade_id, strategy_version, run) "
            "VALUES (:ts, :client_order_id, :symbol, :side, :qty, :price, :trade_id, :strategy_version, :run)",
            [{**r, "run": run} for r in rows],
        )

    def add_bars(self, rows: Iterable[tuple]) -> None:
        """Bars as the bot received them: (symbol, seconds, ts close time ns, open, high, low, close, volume);
        market data, not a run's (a bar sent again replaces itself)."""
        self._db.executemany(
            "INSERT INTO bars (symbol, seconds, ts, open, high, low, close, volume) VALUES (?,?,?,?,?,?,?,?) "
            "ON CONFLICT (symbol, seconds, ts) DO UPDATE SET open=excluded.open, high=excluded.high, "
            "low=excluded.low, close=excluded.close, volume=excluded.volume", rows)

    def add_cycle(self, ts: int, per_symbol: Mapping[str, Mapping[str, Any]], version: str | None) -> None:
        """One cycle: per symbol (``""`` for the global rules) its rule states, values, blockers."""
        run = self._writing_run()
        self._db.executemany(
            'INSERT INTO cycles (ts, symbol, rules, "values", blocked_by, strategy_version, run) '
            "VALUES (?,?,?,?,?,?,?)",
            [
                (ts, sym, json.dumps(d.get("rules", {})), json.dumps(d.get("values", {})),
                 json.dumps(d.get("blocked_by", [])), version, run)
                for sym, d in per_symbol.items()
            ],
        )

    def add_equity(self, ts: int, equity: float, cash: float, *, day_pnl: float | None = None,
                   realized_pnl: float | None = None, unrealized_pnl: float | None = None,
                   positions: Mapping[str, Any] | None = None, version: str | None = None,
                   strategy_equity: float | None = None) -> None:
        """One cycle's marks, as computed at that cycle (``positions``: symbol -> {qty, avg_px};
        ``strategy_equity``: the strategy's own equity, its capital plus its PnL)."""
        self._db.execute(
            "INSERT INTO equity (ts, equity, cash, day_pnl, realized_pnl, unrealized_pnl, positions, "
            "strategy_version, strategy_equity, run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ts, equity, cash, day_pnl, realized_pnl, unrealized_pnl,
             json.dumps(positions) if positions is not None else None, version, strategy_equity,
             self._writing_run()),
        )

    def log_event(self, message: str, *, level: str = "INFO", kind: str = "info", ts: int | None = None) -> None:
        self._db.execute(
            "INSERT INTO events (wall, ts, level, kind, message, run) VALUES (?, ?, ?, ?, ?, ?)",
            (time.time(), ts, level, kind, message, self._writing_run()),
        )
        for listener in _event_listeners:
            try:
                listener(kind, level, message, ts)
            except Exception:  # an alert must never stop an event from being recorded
                pass

    def prune(self) -> None:
        """Drop the oldest rows beyond the limits (the store never grows without bound)."""
        lim = self.limits
        for table, keep in (("cycles", lim.cycles), ("equity", lim.equity), ("fills", lim.fills),
                            ("events", lim.events), ("commands", lim.commands), ("bars", lim.bars)):
            self._db.execute(f"DELETE FROM {table} WHERE id <= (SELECT MAX(id) FROM {table}) - ?", (keep,))
        self._db.execute(
            "DELETE FROM orders WHERE terminal = 1 AND client_order_id IN (SELECT client_order_id FROM orders "
            "WHERE terminal = 1 ORDER BY updated DESC LIMIT -1 OFFSET ?)",
            (lim.terminal_orders,),
        )

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
                "SELECT id, command, args, created FROM commands WHERE state = 'pending' ORDER BY id"
            ).fetchall()
            self._db.executemany("UPDATE commands SET state='running' WHERE id=?", [(r["id"],) for r in rows])
        return [{"id": r["id"], "command": r["command"], "args": json.loads(r["args"] or "{}"), "created": r["created"]}
                for r in rows]

    def finish_command(self, command_id: int, ok: bool, result: str = "") -> None:
        self._db.execute(
            "UPDATE commands SET state=?, result=?, done=? WHERE id=?",
            ("done" if ok else "failed", result, time.time(), command_id),
        )

    def fail_unfinished_commands(self, reason: str) -> None:
        """Commands a previous bot claimed but never finished (it died): failed, not running forever."""
        self._db.execute("UPDATE commands SET state='failed', result=?, done=? WHERE state='running'",
                         (reason, time.time()))

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
        rows = self._rows("SELECT * FROM positions ORDER BY symbol")
        for row in rows:
            row["exit_only"] = bool(row["exit_only"])
        return rows

    def orders(self, *, working_only: bool = False, run: int | None = None) -> list[dict[str, Any]]:
        where = " AND terminal = 0" if working_only else ""
        return self._rows(f"SELECT * FROM orders WHERE run IS ?{where} ORDER BY ts_init, client_order_id",
                          (self._reading_run(run),))

    def fills(self, limit: int = 100, run: int | None = None) -> list[dict[str, Any]]:
        """The newest fills of a run (default: the current one), newest first."""
        return self._rows("SELECT * FROM fills WHERE run IS ? ORDER BY id DESC LIMIT ?",
                          (self._reading_run(run), limit))

    def events(self, limit: int = 100, run: int | None = None) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM events WHERE run IS ? ORDER BY id DESC LIMIT ?",
                          (self._reading_run(run), limit))

    def equity(self, limit: int = 5_000, run: int | None = None) -> list[dict[str, Any]]:
        """A run's per-cycle marks, oldest first: ts, equity, cash, day_pnl, realized_pnl, unrealized_pnl,
        positions (symbol -> {qty, avg_px}), strategy_version."""
        rows = self._rows("SELECT ts, equity, cash, day_pnl, realized_pnl, unrealized_pnl, positions, "
                          "strategy_version, strategy_equity FROM equity WHERE run IS ? ORDER BY id DESC LIMIT ?",
                          (self._reading_run(run), limit))
        for row in rows:
            row["positions"] = json.loads(row["positions"]) if row["positions"] else {}
        return rows[::-1]

    def latest_cycle(self, run: int | None = None) -> dict[str, dict[str, Any]]:
        """symbol -> {ts, rules, values, blocked_by} of the newest cycle row per symbol."""
        rows = self._rows(
            "SELECT c.* FROM cycles c JOIN (SELECT symbol, MAX(id) AS id FROM cycles WHERE run IS ? "
            "GROUP BY symbol) m ON c.id = m.id ORDER BY c.symbol", (self._reading_run(run),)
        )
        return {
            r["symbol"]: {
                "ts": r["ts"], "rules": json.loads(r["rules"]), "values": json.loads(r["values"]),
                "blocked_by": json.loads(r["blocked_by"]), "strategy_version": r["strategy_version"],
            }
            for r in rows
        }

    def view(self) -> dict[str, Any]:
        """What `rbts status` and the Live tab show (also published to Redis with ``state: redis``)."""
        return {"status": self.status(), "positions": self.positions(), "orders": self.orders(working_only=True),
                "fills": self.fills(50), "events": self.events(50), "cycle": self.latest_cycle(),
                "equity": self.equity(2000)}

    def count(self, table: str, run: int | None = None) -> int:
        """Rows of a table: of a run (default: the current one) for the tables kept per run."""
        if table not in ("positions", "orders", "fills", "cycles", "equity", "events", "commands", "runs"):
            raise ValueError(table)
        if table in RUN_TABLES:
            sql, params = f"SELECT COUNT(*) FROM {table} WHERE run IS ?", (self._reading_run(run),)
        else:
            sql, params = f"SELECT COUNT(*) FROM {table}", ()
        return int(self._db.execute(sql, params).fetchone()[0])

    def _rows(self, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self._db.execute(sql, params).fetchall()]


class _SerialConnection:
    """A sqlite3 connection used by several threads.  sqlite3 keeps one transaction per connection: a
    second thread's BEGIN fails ("cannot start a transaction within a transaction") and its plain
    writes would join, and be rolled back with, the first thread's transaction.  So a transaction
    holds the connection from BEGIN to COMMIT, and every statement waits for it."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.lock = threading.RLock()  # re-entrant: the statements of the transaction's own thread

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        with self.lock:
            return self._db.execute(sql, params)

    def executemany(self, sql: str, rows) -> sqlite3.Cursor:
        with self.lock:
            return self._db.executemany(sql, rows)

    def executescript(self, script: str) -> sqlite3.Cursor:
        with self.lock:
            return self._db.executescript(script)

    def close(self) -> None:
        with self.lock:
            self._db.close()


class _Transaction:
    def __init__(self, db: _SerialConnection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.lock.acquire()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._db.lock.release()
            raise

    def __exit__(self, exc_type, *_exc) -> None:
        try:
            self._db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self._db.lock.release()
