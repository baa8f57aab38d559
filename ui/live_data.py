"""The one place that knows the state store's tables: it reads them into :class:`LiveFrames`.

Read-only SQLite (the bot's monitor is the only writer), newest rows first and never more
than the charts draw (``MAX_CYCLES`` cycles, ``MAX_FILLS`` fills), so a bot that has run
for weeks costs the Live tab what a fresh one does.  Candles are the bars the bot received (the
store's ``bars``, written by its monitor: an IB bot's bars are in no catalog); for a store from
before that table, the home's catalog (the bars a replay replays), cut at the last cycle so no
future bar shows.
"""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rbts.dsl.exchange import EXCHANGE_TZ
from rbts.ui.live_model import (
    BAR_COLUMNS, EQUITY_COLUMNS, EVENT_COLUMNS, FILL_COLUMNS, ORDER_COLUMNS, LiveFrames, cycle_frame, empty,
)

MAX_CYCLES = 2_500  # cycle instants per chart (each holds a row per symbol and one for the global rules)
MAX_FILLS = 500
MAX_BARS = 20_000  # base bars read for the candles (drawn as at most ~2,500, coarser when needed)
CONTEXT_NS = 3600 * 1_000_000_000  # bars shown before the first cycle


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    db.row_factory = sqlite3.Row
    return db


def _rows(db: sqlite3.Connection, sql: str, params: tuple = ()) -> list[dict]:
    return [dict(r) for r in db.execute(sql, params).fetchall()]


def read_frames(store_path: Path, symbol: str | None = None, scopes: dict[str, str] | None = None) -> LiveFrames:
    """The current run's newest ``MAX_CYCLES`` cycles (global rows, and ``symbol``'s when given),
    equity, fills, working orders and those of the fills, and events of the store at ``store_path``."""
    with _connect(store_path) as db:
        run = _run_filter(db)
        since = _first_kept_cycle(db, run)
        symbols = ("", symbol) if symbol else ("",)
        marks = ",".join("?" * len(symbols))
        cycles = _rows(db, f'SELECT ts, symbol, rules, "values", blocked_by, strategy_version AS version '
                           f"FROM cycles WHERE ts >= ? AND symbol IN ({marks}){run.sql} ORDER BY id",
                       (since, *symbols, *run.args))
        equity = _rows(db, f"SELECT * FROM equity WHERE ts >= ?{run.sql} ORDER BY id", (since, *run.args))
        fills = _rows(db, "SELECT ts, client_order_id, symbol, side, qty, price, strategy_version AS version "
                          f"FROM fills WHERE ts >= ?{run.sql} ORDER BY id DESC LIMIT ?", (since, *run.args, MAX_FILLS))
        orders = _rows(db, "SELECT * FROM orders WHERE (terminal = 0 OR client_order_id IN "
                           f"(SELECT client_order_id FROM fills WHERE ts >= ?)){run.sql}", (since, *run.args))
        events = _rows(db, "SELECT ts, kind, level, message FROM events WHERE (ts IS NULL OR ts >= ?)"
                           f"{run.sql} ORDER BY id DESC LIMIT 500", (since, *run.args))
    return LiveFrames(cycle_frame(cycles), _equity(equity), _frame(fills[::-1], FILL_COLUMNS),
                      _orders(orders), _events(events[::-1]), empty(BAR_COLUMNS), dict(scopes or {}))


def read_bars(store_path: Path, symbol: str, frames: LiveFrames) -> pd.DataFrame:
    """``symbol``'s bars as the bot received them (the store's ``bars``: an IB bot's live bars are in no
    catalog), the smallest timeframe it has, from an hour before the first cycle to the last, newest
    ``MAX_BARS`` at most; indexed by close time (UTC).  Empty for a store without them (older bots)."""
    columns = BAR_COLUMNS[2:]
    if frames.cycles.empty:
        return empty(columns)
    since, until = int(frames.cycles["ts"].min()) - CONTEXT_NS, int(frames.cycles["ts"].max())
    with _connect(store_path) as db:
        if not _columns(db, "bars"):
            return empty(columns)
        rows = _rows(db, "SELECT ts, open, high, low, close, volume FROM bars WHERE symbol = ? AND seconds = "
                         "(SELECT MIN(seconds) FROM bars WHERE symbol = ? AND ts BETWEEN ? AND ?) AND ts BETWEEN ? "
                         "AND ? ORDER BY ts DESC LIMIT ?", (symbol, symbol, since, until, since, until, MAX_BARS))
    frame = pd.DataFrame(rows[::-1], columns=["ts", *columns])
    index = pd.DatetimeIndex(pd.to_datetime(frame["ts"].to_numpy("int64"), unit="ns", utc=True), name="ts")
    return pd.DataFrame({c: frame[c].to_numpy(float) for c in columns}, index=index)


def read_daily(store_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every run's per-cycle equity (ts, equity, day_pnl, run) and the runs (run, mode, end_state), for
    the per-day chart; the store keeps its newest rows only, so this is bounded too."""
    with _connect(store_path) as db:
        rows = _rows(db, "SELECT * FROM equity ORDER BY id")
        numbered = "run" in _columns(db, "equity")
        runs = _rows(db, "SELECT run, mode, end_state FROM runs ORDER BY run") if numbered else []
    equity = _equity(rows)
    equity["run"] = [r.get("run") for r in rows] if rows else []
    return equity, pd.DataFrame(runs, columns=["run", "mode", "end_state"])


@dataclass(frozen=True)
class _RunFilter:
    sql: str  # "" or " AND run IS ?"
    args: tuple


def _run_filter(db: sqlite3.Connection) -> _RunFilter:
    """Rows of the current run only, when the store numbers its runs (one bot start = one run)."""
    if "run" not in _columns(db, "cycles"):
        return _RunFilter("", ())
    row = db.execute("SELECT MAX(run) FROM runs").fetchone()
    return _RunFilter(" AND run IS ?", (row[0],))


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {r["name"] for r in db.execute(f"PRAGMA table_info({table})")}


def _first_kept_cycle(db: sqlite3.Connection, run: _RunFilter) -> int:
    row = db.execute("SELECT ts FROM (SELECT DISTINCT ts FROM cycles WHERE symbol = ''" + run.sql +
                     " ORDER BY ts DESC LIMIT ?) ORDER BY ts LIMIT 1", (*run.args, MAX_CYCLES)).fetchone()
    return int(row[0]) if row else 0


def _orders(rows: list[dict]) -> pd.DataFrame:
    """Orders, with the cycle that decided each and why when the store records them."""
    frame = _frame(rows, ORDER_COLUMNS)
    for column in ("decided_ts", "reason"):
        if rows and column in rows[0]:
            frame[column] = [r[column] for r in rows]
    return frame


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns) if rows else empty(columns)


def _events(rows: list[dict]) -> pd.DataFrame:
    """Events with their data time exact (nullable integers: a float column, which a wall-time-only
    event's NULL would make it, rounds an IB clock's nanoseconds and its chart mark misses the event)."""
    frame = _frame(rows, EVENT_COLUMNS)
    frame["ts"] = pd.array([r["ts"] for r in rows], dtype="Int64")
    return frame


def _equity(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows) if rows else empty(EQUITY_COLUMNS)
    recorded = pd.to_numeric(frame["day_pnl"], errors="coerce") if "day_pnl" in frame else None
    if recorded is None or recorded.isna().any():  # a store (or rows) that does not record it per cycle
        computed = pd.Series(day_pnl(frame["ts"].to_numpy("int64"), frame["equity"].to_numpy(float)), dtype=float,
                             index=frame.index)
        frame["day_pnl"] = computed if recorded is None else recorded.fillna(computed)
    return frame[EQUITY_COLUMNS].astype({"ts": "int64", "equity": float, "cash": float, "day_pnl": float})


def day_pnl(ts, equity) -> list[float]:
    """Equity minus the equity at the previous New York day's last cycle (the first day: its first cycle),
    as the daily loss breaker counts it."""
    days = pd.to_datetime(pd.Series(ts, dtype="int64"), unit="ns", utc=True).dt.tz_convert(EXCHANGE_TZ).dt.date
    series = pd.Series(equity, dtype=float)
    last = series.groupby(days.to_numpy()).last()
    before = last.shift(1).fillna(series.groupby(days.to_numpy()).first())
    return (series - days.map(before).to_numpy(float)).tolist()


@dataclass(frozen=True)
class StrategyInfo:
    """What the charts need to know of the active strategy."""

    scopes: dict[str, str]  # rule name -> global / entry / exit
    cycle_seconds: int = 0  # 0 when unknown


@functools.lru_cache(maxsize=8)
def strategy_info(json_bytes: bytes | None) -> StrategyInfo:
    """Rule scopes and cycle of a strategy JSON (the active one); empty when it cannot be read."""
    if not json_bytes:
        return StrategyInfo({})
    from rbts.dsl.ast import rule_names
    from rbts.dsl.checker import check
    from rbts.dsl.json_form import from_json

    try:
        strategy = from_json(json_bytes)
        cycle = check(strategy).settings.cycle_seconds
    except Exception:  # noqa: BLE001 - an unreadable file only costs the labels
        return StrategyInfo({})
    return StrategyInfo(dict(zip(rule_names(strategy), (r.scope for r in strategy.rules), strict=True)), cycle)


def cycle_days(frames: LiveFrames) -> tuple | None:
    """(first, last) New York day of the cycles, for loading bars; None without cycles."""
    if frames.cycles.empty:
        return None
    ny = lambda ns: pd.Timestamp(int(ns), tz="UTC").tz_convert(EXCHANGE_TZ).date()  # noqa: E731
    return ny(frames.cycles["ts"].min()), ny(frames.cycles["ts"].max())


def with_bars(frames: LiveFrames, symbol: str, bars: pd.DataFrame) -> LiveFrames:
    """``frames`` with ``symbol``'s bars (indexed by close time) from an hour before its first cycle to
    its last: a replay bot's catalog holds its future too, and no bar the bot has not seen may show."""
    from dataclasses import replace

    if frames.cycles.empty or bars.empty:
        return frames
    stamps = bars.index.as_unit("ns").asi8
    seen = bars[(stamps >= int(frames.cycles["ts"].min()) - CONTEXT_NS) & (stamps <= int(frames.cycles["ts"].max()))]
    out = seen.reset_index(names="ts").assign(symbol=symbol)
    out["ts"] = out["ts"].dt.as_unit("ns").astype("int64")
    return replace(frames, bars=out[BAR_COLUMNS])
