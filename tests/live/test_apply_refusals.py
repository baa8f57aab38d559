"""Refused applies are recorded, and reasons are short and printable (issue #16, smaller items).

A refused apply of a binary or missing file used to leave no event, and `status.last_error`
stayed null; the safe-mode reason for an active file of random bytes was ~1.5 KB of raw bytes.
"""

from __future__ import annotations

import json
import random
import re

import pytest
from livetest import rbts, start_replay, store_of, wait_for


def random_bytes(n: int = 1500) -> bytes:
    return bytes(random.Random(16).randrange(256) for _ in range(n))


def test_a_missing_or_binary_file_is_refused_with_an_event_and_last_error(tmp_path):
    missing = rbts(tmp_path, "apply", str(tmp_path / "nowhere.rbts"))
    assert missing.returncode == 1 and f"error: no such file: {tmp_path / 'nowhere.rbts'}" in missing.stderr
    with store_of(tmp_path) as store:
        assert "no such file: " in store.status()["last_error"] and "nowhere.rbts" in store.status()["last_error"]
        assert store.events(1)[0]["level"] == "ERROR" and "apply rejected" in store.events(1)[0]["message"]

    binary = tmp_path / "random.rbts"
    binary.write_bytes(random_bytes())
    refused = rbts(tmp_path, "apply", str(binary))
    assert refused.returncode == 1 and "error: not UTF-8 text: byte 0x" in refused.stderr
    with store_of(tmp_path) as store:
        error = store.status()["last_error"]
        assert f"apply rejected: {binary}:1:" in error and "error: not UTF-8 text: byte 0x" in error and len(error) < 300
        assert [e["kind"] for e in store.events(2)] == ["apply", "apply"]
    assert not (tmp_path / "live" / "active_strategy.json").exists()  # nothing was activated


def test_a_non_utf8_file_is_refused_at_its_position_as_compile_says_it(tmp_path):
    """`rbts apply` reads the file by the front door's rule (rbts.dsl.load.read_text): a bad byte is an error
    at FILE:LINE:COL with the line shown, word for word what `rbts compile` says (it was "FILE: cannot read it
    (not UTF-8 text (byte 0xff at offset 47))", no position)."""
    bad = tmp_path / "bad.rbts"
    bad.write_bytes(b'strategy "x"\nuniverse: AAPL\nentry a: close > 0 \xff\n')
    compiled = rbts(tmp_path, "compile", str(bad))
    refused = rbts(tmp_path, "apply", str(bad))
    assert refused.returncode == 1 and f"{bad}:3:20: error: not UTF-8 text: byte 0xff" in refused.stderr
    assert refused.stderr == compiled.stderr and compiled.returncode == 1
    with store_of(tmp_path) as store:
        assert store.status()["last_error"].startswith(f"apply rejected: {bad}:3:20: error: not UTF-8 text: byte 0xff")
    assert not (tmp_path / "live" / "active_strategy.json").exists()


@pytest.mark.slow
def test_a_running_bot_keeps_the_refusal_in_its_status(toy_home, tmp_path):
    v1 = tmp_path / "v1.json"
    v1.write_text(json.dumps({"toy": 1, "universe": ["AAPL"], "every": 5}))
    start_replay(toy_home, v1)
    wait_for(toy_home, lambda s: s.status().get("strategy_version") == "toy v1", what="v1 running")
    binary = tmp_path / "random.json"
    binary.write_bytes(random_bytes())
    assert rbts(toy_home, "apply", str(binary)).returncode == 1
    status = wait_for(toy_home, lambda s: s.status(), what="status")
    # the monitor flushes twice a second; the refusal is still in the status after several flushes
    later = wait_for(toy_home, lambda s: s.status() if s.status()["heartbeat"] > status["heartbeat"] + 1.5 else None,
                     what="monitor flushes")
    assert f"{binary}:1:" in later["last_error"] and "error: not UTF-8 text" in later["last_error"]
    assert later["strategy_version"] == "toy v1"


@pytest.mark.slow
@pytest.mark.parametrize("junk", [random_bytes(), ("x" * 20 + "\u00e9") * 70], ids=["bytes", "one long line"])
def test_the_safe_mode_reason_for_a_junk_active_file_is_short(replay_home, junk):
    home = replay_home
    live = home / "live"
    live.mkdir(exist_ok=True)
    (live / "active_strategy.json").write_bytes(junk if isinstance(junk, bytes) else junk.encode())
    start_replay(home)
    status = wait_for(home, lambda s: s.status() if s.status().get("safe_mode") else None, what="safe mode")
    reason = status["safe_reason"]
    assert reason.startswith("invalid strategy: ") and len(reason) < 300 and reason.isprintable()
    # the front door's positioned message, as `rbts compile` and `rbts apply` give it (was "not UTF-8 text (byte
    # 0x.. at offset N)", no position)
    assert re.search(r"active_strategy\.json:\d+:\d+: error: not UTF-8 text: byte 0x[0-9a-f]{2} cannot start"
                     if isinstance(junk, bytes) else r"active_strategy\.json:1:1: error:", reason)
