"""Sweeps on a real Ray head on 127.0.0.1 (started and stopped by these tests only): the same
results as local worker processes, a killed actor's variant retried, and --ray pointing at
nothing failing clearly at once."""

from __future__ import annotations

import csv
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date

import pytest
from support.ray_head import LOOPBACK_ENV, RayHead, free_port
from support.sweep_cases import LITERAL, PARAMS

from rbts.dsl.errors import RbtsError
from rbts.runtime.research.local import LocalExecutor
from rbts.runtime.research.ranking import Ranking
from rbts.runtime.research.ray_executor import RayExecutor
from rbts.runtime.research.space import Space
from rbts.runtime.research.sweep import Sweep, SweepRequest
from rbts.runtime.research.tasks import ParamStrategy, RunSetup

if importlib.util.find_spec("ray") is None:  # the rbts[ray] extra; `make test` installs it
    pytest.skip("ray is not installed", allow_module_level=True)

START, END = date(2025, 3, 3), date(2025, 3, 7)


def request(home, out, space) -> SweepRequest:
    return SweepRequest(strategy=ParamStrategy(PARAMS), space=space, start=START, end=END, home=str(home),
                        out=out, fingerprint="template", ranking=Ranking("sharpe", 0))


def rows(path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory):
    head = RayHead(tmp_path_factory.mktemp("ray"), cpus=2)
    try:
        head.wait_ready()
        for key, value in LOOPBACK_ENV.items():
            os.environ.setdefault(key, value)
        yield head
    finally:
        head.stop()


def test_nothing_listening_fails_clearly_at_once(small_demo_home):
    address = f"127.0.0.1:{free_port()}"
    with pytest.raises(RbtsError, match=rf"--ray {address}: cannot reach a Ray cluster there \(Connection refused\)"):
        RayExecutor(address).start(RunSetup(ParamStrategy(PARAMS), str(small_demo_home)))
    with pytest.raises(RbtsError, match="expected HOST:PORT"):
        RayExecutor("somewhere")


def test_cli_with_ray_at_nothing_exits_1_without_hanging(small_demo_home, tmp_path):
    path = tmp_path / "s.rbts"
    path.write_text(LITERAL.format(fast=9, slow=21))
    address = f"127.0.0.1:{free_port()}"
    proc = subprocess.run([sys.executable, "-m", "rbts.runtime.cli.app", "--home", str(small_demo_home), "sweep",
                           str(path), "--start", "2025-03-03", "--end", "2025-03-07", "--ray", address,
                           "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)  # a hang fails here, not a timing claim
    assert proc.returncode == 1
    assert f"--ray {address}: cannot reach a Ray cluster there" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_ray_gives_the_local_results(ray_head, small_demo_home, tmp_path):
    space = Space.of({"fast": (5, 9), "slow": (21, 30)})
    on_ray = Sweep(request(small_demo_home, tmp_path / "ray", space), RayExecutor(ray_head.address)).run()
    local = Sweep(request(small_demo_home, tmp_path / "local", space), LocalExecutor(2)).run()
    assert on_ray.status == local.status == "finished"
    assert on_ray.summary["executor"] == {"kind": "ray", "address": ray_head.address, "workers": 2}
    assert rows(tmp_path / "ray" / "results.csv") == rows(tmp_path / "local" / "results.csv")
    for key in ("best", "deflated_sharpe", "pbo"):
        assert on_ray.summary[key] == local.summary[key]


@pytest.mark.slow
def test_a_killed_ray_worker_is_retried(ray_head, small_demo_home, tmp_path):
    executor = RayExecutor(ray_head.address, workers=2)
    sweep = Sweep(request(small_demo_home, tmp_path / "out", Space.of({"fast": (5, 9, 12), "slow": (21,)})), executor)
    outcome: dict = {}
    runner = threading.Thread(target=lambda: outcome.setdefault("result", sweep.run()))
    runner.start()
    deadline = time.monotonic() + 300
    while not (hasattr(executor, "_pids") and executor.busy_pids()) and runner.is_alive():
        assert time.monotonic() < deadline, "no Ray worker got a variant"
        time.sleep(0.05)
    victim = executor.busy_pids()[0]
    os.kill(victim, signal.SIGKILL)
    runner.join(timeout=600)
    assert outcome["result"].status == "finished"
    result = rows(tmp_path / "out" / "results.csv")
    assert [r["status"] for r in result] == ["ok", "ok", "ok"]  # the killed variant ran again
