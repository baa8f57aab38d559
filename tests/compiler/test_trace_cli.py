"""`rbts trace` and trace_strategy: the SPEC §3 CSV, the terminal table, errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from rbts.compiler.trace import trace_strategy
from rbts.dsl.checker import check_text
from rbts.runtime.cli.app import app
from rbts.runtime.data import demo

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vix_ema_cross.rbts"


def run(*args):
    return CliRunner().invoke(app, list(args))


def test_csv_has_the_spec_columns(small_demo_home, tmp_path):
    out = tmp_path / "t.csv"
    res = run("--home", str(small_demo_home), "trace", str(EXAMPLE), "--symbol", "MSFT",
              "--start", "2025-03-03", "--end", "2025-03-05", "--csv", str(out))
    assert res.exit_code == 0, res.output
    rows = list(csv.reader(io.StringIO(out.read_text())))
    header = rows[0]
    assert header[:5] == ["ts", "market_hours", "vix_calm", "bull_cross", "bear_cross"]
    assert {"fast", "slow", "ema(close, 9, 5m)", "ema(close, 21, 5m)", "ema(VIX, 9, 5m)",
            "slope(ema(VIX, 9, 5m), 30m)"} <= set(header[5:])
    assert len(rows) - 1 == 3 * 78  # three RTH sessions of 5-minute cycles
    first = dict(zip(header, rows[1]))
    assert first["ts"] == "2025-03-03T14:35:00Z"
    assert first["bull_cross"] == "warming" and first["slow"] == ""
    states = {r[3] for r in rows[1:]}
    assert states <= {"true", "false", "warming"} and "false" in states
    last = dict(zip(header, rows[-1]))
    assert float(last["slow"]) > 0 and last["ts"] == "2025-03-05T21:00:00Z"


def test_csv_values_match_the_python_trace(small_demo_home, tmp_path):
    from rbts.runtime.data.catalog import BarStore
    from rbts.runtime.settings import load_settings

    checked = check_text(EXAMPLE.read_text())
    frames = BarStore(load_settings(small_demo_home)).load_frames(checked.settings.symbols, "2025-03-03", "2025-03-04")
    tr = trace_strategy(checked, frames, "AAPL")
    res = run("--home", str(small_demo_home), "trace", str(EXAMPLE), "--symbol", "AAPL",
              "--start", "2025-03-03", "--end", "2025-03-04")
    assert res.exit_code == 0
    table = pd.read_csv(io.StringIO(res.stdout))  # not a terminal: the CSV on stdout
    assert table["fast"].tolist()[-1] == tr.frame["fast"].iloc[-1]
    assert table["bull_cross"].tolist() == tr.frame["bull_cross"].tolist()


def test_changes_and_explanations():
    checked = check_text(EXAMPLE.read_text())
    frames = demo.generate(checked.settings.symbols, "2025-03-03", "2025-03-07")
    tr = trace_strategy(checked, frames, "NVDA")
    changed = tr.changes()
    assert 0 < len(changed) < len(tr.frame)
    row = int(tr.frame.index[tr.frame["bull_cross"] == "false"][-1])
    why = tr.explain("bull_cross", row)
    assert why.state == "false" and why.text == "fast crosses_above slow"
    assert set(why.values) == {"fast", "slow"} and all(v is not None for v in why.values.values())
    calm = tr.explain("vix_calm", row)
    assert calm.failing()[0].text.startswith("slope(ema(VIX, 9, 5m), 30m) <")
    assert tr.last_true("market_hours") == tr.frame["ts"].iloc[-1]


def test_symbol_outside_the_universe_is_a_user_error(small_demo_home):
    res = run("--home", str(small_demo_home), "trace", str(EXAMPLE), "--symbol", "TSLA",
              "--start", "2025-03-03", "--end", "2025-03-03")
    assert res.exit_code == 1
    assert "not in the strategy's universe" in res.stderr


def test_bad_file_is_a_positioned_error(tmp_path, small_demo_home):
    bad = tmp_path / "bad.rbts"
    bad.write_text("universe: AAPL\nentry e: ema(close 9) > 1\n")
    res = run("--home", str(small_demo_home), "trace", str(bad), "--symbol", "AAPL")
    assert res.exit_code == 1
    assert f"{bad}:2:" in res.stderr


def test_bar_size_must_be_stored(small_demo_home, tmp_path):
    five = tmp_path / "five.rbts"
    five.write_text(EXAMPLE.read_text().replace("cycle: 5m", "cycle: 5m\nbars: 5m"))
    res = run("--home", str(small_demo_home), "trace", str(five), "--symbol", "AAPL",
              "--start", "2025-03-03", "--end", "2025-03-03")
    assert res.exit_code == 1 and "no 5-MINUTE" in res.stderr  # only 1-minute bars are stored
