"""``state: redis://HOST:PORT`` against a real redis-server on 127.0.0.1 (SPEC §6.4).

A replay bot runs the crash day of test_daily_loss_breaker with its state in Redis; a second
home that holds nothing but ``state:`` in its rbts.yaml (a watcher, as on another machine)
sees through `rbts status` the same positions, equity and events as the bot's own store; the
Nautilus cache (orders, positions) and message bus stream are in Redis; after `rbts stop` the
watcher sees the bot stopped.  The Live tab of a watcher of a bot on another host shows it
and offers no controls.
"""

from __future__ import annotations

import json
import shutil
import socket

import numpy as np
import pytest
from catalogs import minute_bars, write_bars
from livetest import rbts, stop_bot, store_of, wait_for
from support.redis_server import redis_server
from test_daily_loss_breaker import CRASH, ny

from rbts.dsl.errors import RbtsError
from rbts.runtime.live import redis_state
from rbts.runtime.settings import load_settings


@pytest.fixture
def redis_port(tmp_path):
    with redis_server(tmp_path / "redis") as port:
        yield port


def test_state_setting(tmp_path, monkeypatch):
    assert redis_state.parse_state("sqlite") is None
    assert redis_state.parse_state("redis://10.0.0.5:6380/2") == redis_state.RedisTarget("10.0.0.5", 6380, db=2)
    assert redis_state.parse_state("redis://:pw@h") == redis_state.RedisTarget("h", 6379, password="pw")
    (tmp_path / "rbts.yaml").write_text("state: postgres://h\n")
    with pytest.raises(RbtsError, match=r"rbts.yaml: state must be sqlite or redis://HOST:PORT, not 'postgres://h'"):
        load_settings(tmp_path)
    monkeypatch.setenv("RBTS_STATE", "redis://127.0.0.1:7000")
    assert load_settings(tmp_path).state == "redis://127.0.0.1:7000"


@pytest.mark.slow
def test_a_watcher_reads_the_bot_through_redis(tmp_path, redis_port):
    import redis

    state = f"state: redis://127.0.0.1:{redis_port}\n"
    bot, watcher = tmp_path / "bot", tmp_path / "watcher"
    write_bars(bot, "AAPL", minute_bars("2025-03-10", [100.0] * 10),
               minute_bars("2025-03-11", [100.0] * 5 + list(np.linspace(99, 90, 10)) + list(np.linspace(91, 100, 15))),
               minute_bars("2025-03-12", [92.0] * 10))
    (bot / "rbts.yaml").write_text(state)
    watcher.mkdir()
    (watcher / "rbts.yaml").write_text(state)
    (tmp_path / "crash.rbts").write_text(CRASH)
    try:
        assert rbts(bot, "live", str(tmp_path / "crash.rbts"), "--start", "2025-03-11", "--speed", "10000",
                    "--detach").returncode == 0
        wait_for(bot, lambda s: s.status().get("last_cycle_ts") == ny("2025-03-12 09:40"), what="the replay's end")

        def watched():
            run = rbts(watcher, "status", "--json")
            snap = json.loads(run.stdout)
            return snap if run.returncode == 0 and snap["status"].get("last_cycle_ts") == ny("2025-03-12 09:40") \
                and snap["positions"] else None

        snap = wait_for(bot, lambda _s: watched(), what="the watcher to see the replay's end")
        with store_of(bot) as store:
            own = store.view()
        assert snap["running"] and snap["remote"] is None  # same host: a local watcher
        assert [(p["symbol"], p["qty"], p["avg_px"]) for p in snap["positions"]] == \
            [(p["symbol"], p["qty"], p["avg_px"]) for p in own["positions"]] == [("AAPL", 106.0, 92.0)]
        assert [f["trade_id"] for f in snap["fills"]] == [f["trade_id"] for f in own["fills"]]
        assert any(e["kind"] == "max_daily_loss" for e in snap["events"])
        assert snap["status"]["strategy_version"] == "crash v1"
        text = rbts(watcher, "status")
        assert text.returncode == 0 and "position AAPL" in text.stdout and "bot running" in text.stdout

        # Nautilus' own cache and message bus live in that Redis too
        client = redis.Redis(host="127.0.0.1", port=redis_port)
        keys = {k.decode() for k in client.keys("trader-RBTS-001:*")}
        assert any(k.startswith("trader-RBTS-001:positions:") for k in keys)
        assert any(k.startswith("trader-RBTS-001:orders:") for k in keys)
        stream = client.xrange("trader-RBTS-001:stream", count=100_000)
        topics = {fields[b"topic"].decode() for _id, fields in stream}
        assert any(t.startswith("events.order.") for t in topics)
        assert any(t.startswith("events.position.") for t in topics)
        client.close()

        assert rbts(bot, "stop").returncode == 0
        gone = rbts(watcher, "status", "--json")
        assert gone.returncode == 3 and json.loads(gone.stdout)["status"]["node_status"] == "stopped"
    finally:
        stop_bot(bot)


def test_the_live_tab_watches_a_bot_on_another_host_without_controls(tmp_path, redis_port, monkeypatch):
    from streamlit.testing.v1 import AppTest

    import rbts.ui

    target = redis_state.RedisTarget("127.0.0.1", redis_port)
    writer = redis_state.SnapshotWriter(target, "RBTS-001")
    monkeypatch.setattr(socket, "gethostname", lambda: "bot-server")
    import time
    writer.write({"status": {"node_status": "running", "heartbeat": time.time(), "mode": "ib", "connected": True,
                             "strategy_version": "demo v3", "equity": 10_250.0, "pid": 4242},
                  "positions": [{"symbol": "AAPL", "qty": 10.0, "avg_px": 182.1, "unrealized_pnl": 3.5,
                                 "side": "LONG", "realized_pnl": 0.0, "instrument_id": "AAPL.NASDAQ"}],
                  "orders": [], "fills": [], "events": [], "cycle": {}, "equity": []})
    writer.close()
    monkeypatch.undo()
    home = tmp_path / "watcher"
    home.mkdir()
    (home / "rbts.yaml").write_text(f"state: redis://127.0.0.1:{redis_port}\n")
    monkeypatch.setenv("RBTS_HOME", str(home))
    at = AppTest.from_file(str(shutil.os.path.join(rbts.ui.__path__[0], "app.py")), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    labels = {b.label for b in at.button}
    assert not labels & {"Start", "Stop", "Restart", "Flatten all"}
    assert any("Watching a bot on another machine through Redis" in c.value for c in at.caption)
    banners = [e.value for kind in ("success", "info", "warning", "error") for e in getattr(at, kind)]
    assert f"watching redis://127.0.0.1:{redis_port}: bot running (pid 4242) | mode ib | connected | strategy demo v3" in banners
