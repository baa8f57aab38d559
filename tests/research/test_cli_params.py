"""``rbts sweep`` on a strategy with params (SPEC §6.1, §6.2): each variant equals
``rbts backtest FILE --set ...`` bit for bit; a grid above 100,000 is refused."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from support.sweep_cases import PARAMS
from typer.testing import CliRunner

from rbts.dsl.load import load_strategy
from rbts.runtime.cli.app import app
from rbts.runtime.research.tasks import ParamStrategy

START, END = "2025-03-03", "2025-03-07"
SMALL = PARAMS.replace("[4, 5, 6, 7, 9, 12]", "[5, 9]").replace("[18, 21, 26, 30]", "[21, 30]")  # a 2 x 2 grid


def _cli(home, *args) -> list[str]:
    return [sys.executable, "-m", "rbts.runtime.cli.app", "--home", str(home), *map(str, args)]


def test_a_grid_above_the_limit_is_refused_before_anything_runs(small_demo_home, tmp_path):
    big = tmp_path / "big.rbts"
    big.write_text(PARAMS.replace("[4, 5, 6, 7, 9, 12]", "2..400").replace("[18, 21, 26, 30]", "21..400"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["--home", str(small_demo_home), "sweep", str(big), "--start", START,
                                      "--end", END, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "the grid has 151,620 combinations, more than 100,000: use --search random:N or --search optuna:N" \
        in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_a_worker_binds_each_variant_as_set_does(tmp_path):
    """The strategy a worker runs for a variant is the one `--set` loads (same program)."""
    make = ParamStrategy(PARAMS).prepare()
    for fast, slow in ((5, 21), (12, 30)):
        bound = make({"fast": fast, "slow": slow})
        loaded = load_strategy(PARAMS, overrides={"fast": str(fast), "slow": str(slow)})
        assert bound.program == loaded.program
        assert bound.params["fast"].default == fast and bound.params["slow"].default == slow


@pytest.mark.slow
def test_each_variant_is_rbts_backtest_with_set_bit_for_bit(small_demo_home, tmp_path):
    strategy = tmp_path / "params.rbts"
    strategy.write_text(SMALL)
    out = tmp_path / "sweep"
    proc = subprocess.run(_cli(small_demo_home, "sweep", strategy, "--start", START, "--end", END, "--workers", "2",
                               "--min-trades", "0", "--out", out), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["fast"], r["slow"]) for r in rows] == [("5", "21"), ("5", "30"), ("9", "21"), ("9", "30")]
    journal = {json.loads(x)["variant"]: json.loads(x) for x in (out / "journal.jsonl").read_text().splitlines()}
    for row in rows:
        run = tmp_path / f"bt-{row['variant']}"
        bt = subprocess.run(_cli(small_demo_home, "backtest", strategy, "--start", START, "--end", END,
                                 "--set", f"fast={row['fast']}", "--set", f"slow={row['slow']}", "--out", run),
                            capture_output=True, text=True, timeout=600)
        assert bt.returncode == 0, bt.stderr
        metrics = json.loads((run / "metrics.json").read_text())
        assert journal[int(row["variant"])]["metrics"] == metrics  # bit for bit, warnings included
        for key, value in metrics.items():  # results.csv writes every float in full
            if isinstance(value, float):
                assert float(row[key]) == value, key
    data = json.loads((out / "sweep.json").read_text())
    best = data["best"]["params"]
    assert (out / "best.rbts").read_text() == SMALL.replace("param fast = 9 in", f"param fast = {best['fast']} in") \
        .replace("param slow = 21 in", f"param slow = {best['slow']} in")
    assert load_strategy(out / "best.rbts").params["fast"].default == best["fast"]
