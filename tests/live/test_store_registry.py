"""State store and strategy registry: schema, reads from another connection, bounds, commands, versions."""

from __future__ import annotations

import json
import threading
import time

from rbts.compiler.protocol import CycleResult, RuleState
from rbts.runtime.live.monitor import _cycle_rows
from rbts.runtime.live.registry import Registry, sha256
from rbts.runtime.live.store import Limits, StateStore


def _order(coid: str, status: str, **kw) -> dict:
    row = {"client_order_id": coid, "symbol": "AAPL", "side": "BUY", "type": "LIMIT", "qty": 10.0,
           "price": 100.0, "status": status, "filled_qty": 0.0, "avg_px": None,
           "strategy_version": "x v1", "ts_init": 1}
    return {**row, **kw}


def test_writes_are_visible_to_another_connection(tmp_path):
    path = tmp_path / "state.db"
    writer = StateStore(path)
    with writer.transaction():
        writer.set_status(mode="replay", safe_mode=True, safe_reason="no strategy", equity=10_000.5)
        writer.replace_positions([{"symbol": "AAPL", "instrument_id": "AAPL.RBTS", "side": "LONG", "qty": 5.0,
                                   "avg_px": 100.0, "unrealized_pnl": 2.5, "realized_pnl": 0.0}])
        writer.upsert_orders([_order("O-1", "ACCEPTED"), _order("O-2", "FILLED", filled_qty=10.0)])
        writer.add_fills([{"ts": 5, "client_order_id": "O-2", "symbol": "AAPL", "side": "BUY", "qty": 10.0,
                           "price": 100.0, "trade_id": "T1", "strategy_version": "x v1"}])
        writer.log_event("hello", level="WARNING", kind="safe_mode")
    reader = StateStore(path)
    status = reader.status()
    assert status["mode"] == "replay" and status["safe_mode"] is True and status["equity"] == 10_000.5
    assert [p["symbol"] for p in reader.positions()] == ["AAPL"]
    assert [o["client_order_id"] for o in reader.orders(working_only=True)] == ["O-1"]
    assert reader.fills()[0]["trade_id"] == "T1"
    assert reader.events()[0]["message"] == "hello"
    assert reader._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_order_upsert_moves_to_terminal(tmp_path):
    store = StateStore(tmp_path / "s.db")
    store.upsert_orders([_order("O-1", "ACCEPTED")])
    store.upsert_orders([_order("O-1", "CANCELED")])
    (row,) = store.orders()
    assert row["status"] == "CANCELED" and row["terminal"] == 1
    assert store.orders(working_only=True) == []


def test_prune_bounds_every_log_table_but_keeps_working_orders(tmp_path):
    store = StateStore(tmp_path / "s.db", limits=Limits(cycles=10, equity=10, fills=10, events=10, terminal_orders=5))
    for i in range(50):
        store.add_equity(i, 1.0, 1.0)
        store.log_event(f"e{i}")
        store.add_cycle(i, {"AAPL": {"rules": {}, "values": {}, "blocked_by": []}}, "v1")
        store.upsert_orders([_order(f"T-{i}", "FILLED")])
    store.upsert_orders([_order("W-1", "ACCEPTED")])
    store.prune()
    assert store.count("equity") == 10 and store.count("events") == 10 and store.count("cycles") == 10
    assert store.events(1)[0]["message"] == "e49"
    orders = store.orders()
    assert len(orders) == 6 and any(o["client_order_id"] == "W-1" for o in orders)


def test_commands_are_claimed_once_and_finished(tmp_path):
    store = StateStore(tmp_path / "s.db")
    cid = store.send_command("flatten", why="test")
    (claimed,) = store.claim_commands()
    assert {k: claimed[k] for k in ("id", "command", "args")} == {"id": cid, "command": "flatten", "args": {"why": "test"}}
    assert claimed["created"] == store.command(cid)["created"]  # an apply sent after a swap is told from one sent during it
    assert store.claim_commands() == []
    store.finish_command(cid, True, "done it")
    assert store.command(cid)["state"] == "done"


def test_latest_cycle_per_symbol_with_blockers(tmp_path):
    store = StateStore(tmp_path / "s.db")
    T, F, W = RuleState.TRUE, RuleState.FALSE, RuleState.WARMING
    for ts, calm in ((1, T), (2, F)):
        result = CycleResult(ts, {"vix_calm": calm}, {"AAPL": {"bull": T}}, {"AAPL": {"bear": W}},
                             {"AAPL": {"ema(close, 9, 5m)": 101.5}, "": {"VIX": 14.0}})
        store.add_cycle(ts, _cycle_rows(result), "v3")
    latest = store.latest_cycle()
    assert latest["AAPL"]["ts"] == 2 and latest["AAPL"]["blocked_by"] == ["vix_calm"]
    assert latest["AAPL"]["rules"] == {"bull": "true", "bear": "warming"}
    assert latest[""]["values"] == {"VIX": 14.0}


def test_registry_versions_dedupe_and_active_file(tmp_path):
    reg = Registry(tmp_path / "strategies", tmp_path / "live")
    v1 = reg.save("VIX-calm EMA cross", '{"rbts": 1, "a": 1}\n', "strategy x\n", "x.rbts")
    again = reg.save("VIX-calm EMA cross", '{"rbts": 1, "a": 1}\n')
    v2 = reg.save("VIX-calm EMA cross", '{"rbts": 1, "a": 2}\n')
    assert (v1.number, again.number, v2.number) == (1, 1, 2)
    assert v2.label == "vix-calm-ema-cross v2"
    assert (tmp_path / "strategies/vix-calm-ema-cross/v0001.rbts").read_text() == "strategy x\n"
    assert reg.active() is None
    reg.activate(v1)
    data, version = reg.active()
    assert json.loads(data) == {"rbts": 1, "a": 1} and version == v1
    reg.activate(v2)
    assert reg.active()[1] == v2 and reg.find(sha256(b"nope")) is None
    assert [v.number for v in reg.versions("vix-calm-ema-cross")] == [1, 2]
    assert not list((tmp_path / "live").glob(".active*"))  # no temp files left behind


def test_threads_sharing_one_store_get_whole_transactions_each(tmp_path):
    """The monitor flushes on the event loop (start, stop) and on its timer's thread, through one
    connection: two flushes at once failed with "cannot start a transaction within a transaction"
    (seen twice at every IB start-up), and a write from another thread could land inside, and be
    rolled back with, a transaction that was not its own."""
    store = StateStore(tmp_path / "state.db")
    store.begin_run("replay", {})
    errors: list[Exception] = []
    start = threading.Barrier(3)

    def flusher(name: str) -> None:
        start.wait()
        for i in range(60):
            try:
                with store.transaction():
                    store.log_event(f"{name} {i}", kind="flush")
                    time.sleep(0.0005)  # another thread runs meanwhile
                    store.set_status(**{name: i})
                    if i % 3 == 0:
                        raise _Rollback
            except _Rollback:
                pass
            except Exception as exc:
                errors.append(exc)

    def plain_writer() -> None:
        start.wait()
        for i in range(60):
            store.log_event(f"plain {i}", kind="plain")
            time.sleep(0.0005)

    threads = [threading.Thread(target=flusher, args=(n,)) for n in ("a", "b")]
    threads.append(threading.Thread(target=plain_writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    kinds = [e["kind"] for e in StateStore(tmp_path / "state.db").events(1000)]
    assert kinds.count("plain") == 60  # none rolled back with another thread's transaction
    assert kinds.count("flush") == 2 * 40  # the committed ones only
    assert store.status()["a"] == store.status()["b"] == 59


class _Rollback(Exception):
    pass
