"""``rbts sweep --prescreen K`` end to end on the small demo catalog (SPEC §6.3).

Params are formatted into a strategy text template per variant (tests/support/sweep_cases.py)."""

from __future__ import annotations

import csv
import json
import math
from datetime import date

import pytest
from support.sweep_cases import LITERAL, PARAMS
from typer.testing import CliRunner

from rbts.dsl.checker import check_text
from rbts.runtime.cli.app import app
from rbts.runtime.cli.sweep import _report
from rbts.runtime.prescreen.screen import screen
from rbts.runtime.research.local import LocalExecutor
from rbts.runtime.research import stats
from rbts.runtime.research.ranking import Ranking
from rbts.runtime.research.reading import judged_dsr
from rbts.runtime.research.space import Space
from rbts.runtime.research.sweep import Sweep, SweepRequest
from rbts.runtime.research.tasks import ParamStrategy

START, END = date(2025, 3, 3), date(2025, 3, 14)
SPACE = Space.of({"fast": (5, 7, 9, 12), "slow": (21, 30)})


def read_csv(path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.slow
def test_every_variant_screened_the_best_k_confirmed(small_demo_home, tmp_path, capsys):
    out = tmp_path / "sweep"
    req = SweepRequest(strategy=ParamStrategy(PARAMS), space=SPACE, start=START, end=END,
                       home=str(small_demo_home), out=out, fingerprint="t", ranking=Ranking("sharpe", 0), prescreen=3)
    outcome = Sweep(req, LocalExecutor(2)).run()
    assert outcome.status == "finished"
    rows = read_csv(out / "results.csv")
    assert [int(r["variant"]) for r in rows] == list(range(1, 9))
    assert "prescreen_sharpe" in rows[0] and list(rows[0]).index("prescreen_sharpe") < list(rows[0]).index("status")
    # the pre-screen column is the pre-screen's own figure for every variant
    texts = [LITERAL.format(fast=f, slow=s) for f in (5, 7, 9, 12) for s in (21, 30)]
    table = screen([check_text(t) for t in texts], START, END, home=small_demo_home).table
    for row, value in zip(rows, table["sharpe"]):
        assert float(row["prescreen_sharpe"]) == value
    confirmed = [r for r in rows if r["status"] == "ok"]
    assert len(confirmed) == 3 and all(r["status"] == "screened" for r in rows if r not in confirmed)
    assert all(r["sharpe"] == "" for r in rows if r["status"] == "screened")
    best3 = sorted(range(8), key=lambda i: (-table["sharpe"][i], i))[:3]
    assert sorted(int(r["variant"]) for r in confirmed) == sorted(i + 1 for i in best3)
    for r in confirmed:  # the Nautilus metrics of the confirmed ones, equal to the pre-screen here
        assert float(r["sharpe"]) == pytest.approx(float(r["prescreen_sharpe"]), rel=1e-9)
    data = json.loads((out / "sweep.json").read_text())
    assert data["prescreen"]["k"] == 3 and data["prescreen"]["variants"] == 8
    assert data["prescreen"]["confirmed"] == sorted(i + 1 for i in best3)
    assert data["spearman"] == data["prescreen"]["spearman"] == pytest.approx(1.0)
    assert data["best"]["variant"] == best3[0] + 1
    assert data["counts"]["variants"] == 8
    # sweep.json's deflated_sharpe is SPEC §6.2's, N = the ok (confirmed) variants; the pre-screen block's
    # counts all 8 screened variants as trials (the best was chosen from them), and the reading uses it
    lines = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    best_returns = next([r for _, r in ln["returns"]] for ln in lines if ln["variant"] == data["best"]["variant"])
    only_confirmed = [stats.daily_sharpe([r for _, r in ln["returns"]]) for ln in lines if ln["status"] == "ok"]
    assert data["deflated_sharpe"] == pytest.approx(stats.deflated_sharpe(best_returns, only_confirmed), rel=1e-12)
    every = [s / math.sqrt(252) for s in table["sharpe"] if math.isfinite(s)]
    assert len(every) == 8
    screened = data["prescreen"]["deflated_sharpe"]
    assert screened == pytest.approx(stats.deflated_sharpe(best_returns, every), rel=1e-9)
    assert screened < data["deflated_sharpe"]  # fewer, better trials flattered the best
    assert judged_dsr(data) == (screened, "counting all 8 screened variants as trials; over the 3 confirmed only: "
                                          f"{data['deflated_sharpe']:.3f}")
    _report(outcome)  # what rbts sweep prints at the end
    said = " ".join(capsys.readouterr().out.split())
    assert "pre-screen: 8 variants in" in said and "the best 3 confirmed in Nautilus" in said
    assert "Rank correlation 1.000 over only 3 confirmed variants: too few to judge" in said
    assert f"deflated Sharpe ratio: {screened:.3f} (counting all 8 screened variants as trials" in said


@pytest.mark.parametrize("args, message", [
    (["--prescreen", "0"], "K >= 1"),
    (["--prescreen", "2", "--search", "optuna:5"], "grid or random"),
    (["--prescreen", "2", "--walk-forward", "2"], "without --walk-forward"),
])
def test_bad_prescreen_options_are_usage_errors(tmp_path, args, message):
    strategy = tmp_path / "s.rbts"
    strategy.write_text(LITERAL.format(fast=5, slow=21))
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "sweep", str(strategy), "--start", "2025-03-03",
                                      "--end", "2025-03-07", *args])
    assert result.exit_code == 2
    words = " ".join(result.output.replace("│", " ").split())
    assert "--prescreen" in words and message in words
