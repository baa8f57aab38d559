"""``rbts sweep`` on the command line: usage and user errors before anything runs, a run
equal to ``rbts backtest``, SIGTERM/Ctrl-C keeping the folder resumable (SPEC §6.2)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.demo_range import SMALL_DEMO_START
from support.sweep_cases import LITERAL
from typer.testing import CliRunner

from rbts.runtime.cli.app import app

runner = CliRunner()
STRATEGY = LITERAL.format(fast=9, slow=21)


@pytest.fixture
def strategy(tmp_path) -> Path:
    path = tmp_path / "s.rbts"
    path.write_text(STRATEGY)
    return path


def sweep(home, *args):
    return runner.invoke(app, ["--home", str(home), "sweep", *map(str, args)])


@pytest.mark.parametrize("args, message", [
    (["--search", "random"], "--search"),
    (["--search", "bayes:3"], "--search"),
    (["--objective", "start"], "--objective"),
    (["--min-trades", "-1"], "--min-trades"),
    (["--walk-forward", "0"], "--walk-forward"),
    (["--workers", "0"], "--workers"),
])
def test_malformed_options_are_usage_errors(small_demo_home, strategy, args, message):
    result = sweep(small_demo_home, strategy, "--start", "2025-03-03", "--end", "2025-03-07", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


@pytest.mark.parametrize("args, message", [
    (["--end", "2025-03-01"], "--end 2025-03-01 is before --start 2025-03-03"),
    (["--end", "2025-13-01"], "--end: expected a date as YYYY-MM-DD"),
    (["--end", "2025-03-07", "--tickers", "AAPL,ZZZZ"], "no bars for ZZZZ"),
    (["--end", "2025-03-07", "--walk-forward", "9"], "--walk-forward 9 needs at least 10 sessions; the range has 5"),
])
def test_bad_runs_fail_before_anything_starts(small_demo_home, strategy, tmp_path, args, message):
    out = tmp_path / "out"
    result = sweep(small_demo_home, strategy, "--start", "2025-03-03", "--out", out, *args)
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_a_strategy_with_errors_is_reported_with_its_position(small_demo_home, tmp_path):
    bad = tmp_path / "bad.rbts"
    bad.write_text(STRATEGY.replace("ema(close, 9, 5m)", "ema(close, 0, 5m)"))
    result = sweep(small_demo_home, bad, "--start", "2025-03-03", "--end", "2025-03-07")
    assert result.exit_code == 1
    assert f"{bad}:4:" in result.output and "error:" in result.output
    missing = sweep(small_demo_home, tmp_path / "nope.rbts", "--start", "2025-03-03", "--end", "2025-03-07")
    assert missing.exit_code == 1 and "no such strategy file" in missing.output


def test_the_file_is_read_by_the_front_doors_encoding_rule(small_demo_home, tmp_path):
    """As `rbts compile` and `rbts backtest` read it: a BOM is dropped, a bad byte is FILE:LINE:COL."""
    bom = tmp_path / "bom.rbts"
    bom.write_bytes(b"\xef\xbb\xbf" + STRATEGY.encode())
    result = sweep(small_demo_home, bom, "--start", "2025-03-03", "--end", "2025-03-07", "--walk-forward", "9",
                   "--out", tmp_path / "out")
    assert result.exit_code == 1 and "needs at least 10 sessions" in result.output, result.output
    latin = tmp_path / "latin.rbts"
    latin.write_bytes(STRATEGY.encode() + b"# caf\xe9\n")
    line = STRATEGY.count("\n") + 1
    result = sweep(small_demo_home, latin, "--start", "2025-03-03", "--end", "2025-03-07")
    assert result.exit_code == 1 and f"{latin}:{line}:6: error: not UTF-8 text" in result.output, result.output


def test_an_out_folder_of_something_else_is_refused(small_demo_home, strategy, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "keep.txt").write_text("keep")
    result = sweep(small_demo_home, strategy, "--start", "2025-03-03", "--end", "2025-03-07", "--out", out)
    assert result.exit_code == 1 and "not empty and holds no sweep.json" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def _cli(home, *args) -> list[str]:
    return [sys.executable, "-m", "rbts.runtime.cli.app", "--home", str(home), *map(str, args)]


@pytest.mark.slow
def test_sweep_of_a_strategy_without_params_is_its_backtest(small_demo_home, strategy, tmp_path):
    out = tmp_path / "sweep"
    proc = subprocess.run(_cli(small_demo_home, "sweep", strategy, "--start", "2025-03-03", "--end", "2025-03-07",
                               "--workers", "1", "--out", out), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "[1/1] 100%" in proc.stderr and "best: variant 1" in proc.stdout
    bt = subprocess.run(_cli(small_demo_home, "backtest", strategy, "--start", "2025-03-03", "--end", "2025-03-07",
                             "--out", tmp_path / "bt"), capture_output=True, text=True, timeout=600)
    assert bt.returncode == 0, bt.stderr
    metrics = json.loads((tmp_path / "bt" / "metrics.json").read_text())
    line = json.loads((out / "journal.jsonl").read_text().splitlines()[0])
    assert line["metrics"] == metrics  # bit for bit, warnings included
    assert (out / "best.rbts").read_text() == STRATEGY


@pytest.mark.slow
@pytest.mark.parametrize("sig, code, why", [(signal.SIGTERM, 143, "terminated (SIGTERM)"),
                                            (signal.SIGINT, 130, "interrupted (Ctrl-C)")])
def test_a_signal_stops_cleanly_and_the_folder_resumes(small_demo_home, strategy, tmp_path, sig, code, why):
    out = tmp_path / "sweep"
    args = ("sweep", strategy, "--start", SMALL_DEMO_START, "--end", "2025-03-07", "--workers", "1", "--out", out)
    proc = subprocess.Popen(_cli(small_demo_home, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "sweep.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert f"{why}: 0 of 1 runs finished and kept in {out}" in err and f"--out {out}" in err
    assert json.loads((out / "sweep.json").read_text())["status"] == "interrupted"
    again = subprocess.run(_cli(small_demo_home, *args), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "sweep.json").read_text())["status"] == "finished"
