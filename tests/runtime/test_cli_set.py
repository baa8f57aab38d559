"""``--set NAME=VALUE`` on compile, trace, backtest, live and apply (SPEC §6.1): a set value is
exactly the file with that default edited; unknown names and values outside the domain are
user errors (exit 1), malformed options usage errors (exit 2); live/apply keep the values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.demo_range import SMALL_DEMO_START
from typer.testing import CliRunner

from rbts.runtime.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "vix_ema_cross_params.rbts"
END = "2025-03-07"


def rbts(*args, home: Path):
    return CliRunner().invoke(app, ["--home", str(home), *[str(a) for a in args]])


def edited(tmp_path: Path, **defaults: str) -> Path:
    """The example with its defaults edited by hand."""
    text = EXAMPLE.read_text()
    for name, value in defaults.items():
        start = text.index(f"param {name} = ")
        eq = start + len(f"param {name} = ")
        text = text[:eq] + value + text[text.index(" in ", eq):]
    path = tmp_path / "edited.rbts"
    path.write_text(text)
    return path


def test_compile_with_set_is_the_file_with_the_default_edited(tmp_path):
    result = rbts("compile", EXAMPLE, "--set", "fast=13", "--set", "tf=15m", "--set", "vix_drop=-0.5", home=tmp_path)
    assert result.exit_code == 0, result.output
    by_hand = rbts("compile", edited(tmp_path, fast="13", tf="15m", vix_drop="-0.5"), home=tmp_path)
    data = json.loads(result.stdout)
    assert data == json.loads(by_hand.stdout) | {"name": data["name"]}
    assert [p["default"] for p in data["params"]] == [13, 21, "15m", -0.5]


@pytest.mark.parametrize("args, code, message", [
    (["--set", "fast=30"], 1, "vix_ema_cross_params.rbts: error: param fast: 30 is outside its domain [5, 9, 13]"),
    (["--set", "nope=1"], 1, "error: unknown param nope (the strategy declares: fast, slow, tf, vix_drop)"),
    (["--set", "tf=7"], 1, "error: param tf takes a duration such as 5m, got '7'"),
    (["--set", "fast"], 2, "expected NAME=VALUE, got 'fast'"),
    (["--set", "=3"], 2, "expected NAME=VALUE"),
    (["--set", "fast=5", "--set", "fast=9"], 2, "fast is set twice"),
])
def test_bad_sets_are_clear_errors(tmp_path, args, code, message):
    result = rbts("compile", EXAMPLE, *args, home=tmp_path)
    assert result.exit_code == code and message in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output


def test_every_command_takes_set(tmp_path):
    for command in ("compile", "trace", "backtest", "live", "apply"):
        help_text = rbts(command, "--help", home=tmp_path).output
        assert "--set" in help_text and "NAME=VALUE" in help_text, command


def test_trace_with_set_traces_the_set_values(small_demo_home, tmp_path):
    common = ("--symbol", "AAPL", "--start", SMALL_DEMO_START, "--end", "2025-03-04")
    out, by_hand = tmp_path / "set.csv", tmp_path / "hand.csv"
    result = rbts("trace", EXAMPLE, *common, "--csv", out, "--set", "fast=13", "--set", "tf=15m", home=small_demo_home)
    assert result.exit_code == 0, result.output
    edit = edited(tmp_path, fast="13", tf="15m")
    assert rbts("trace", edit, *common, "--csv", by_hand, home=small_demo_home).exit_code == 0
    assert out.read_text() == by_hand.read_text()
    assert "ema(close, 13, 15m)" in out.read_text().splitlines()[0]
    bad = rbts("trace", EXAMPLE, *common, "--set", "slow=22", home=small_demo_home)
    assert bad.exit_code == 1 and "param slow: 22 is outside its domain [21, 34]" in bad.output


@pytest.mark.slow
def test_backtest_with_set_equals_the_file_with_the_default_edited(small_demo_home, tmp_path):
    a, b = tmp_path / "set", tmp_path / "hand"
    result = rbts("backtest", EXAMPLE, "--start", SMALL_DEMO_START, "--end", END, "--out", a,
                  "--set", "fast=5", "--set", "vix_drop=0", home=small_demo_home)
    assert result.exit_code == 0, result.output
    hand = rbts("backtest", edited(tmp_path, fast="5", vix_drop="0"), "--start", SMALL_DEMO_START, "--end", END,
                "--out", b, home=small_demo_home)
    assert hand.exit_code == 0, hand.output
    for name in ("trades.csv", "equity.csv", "metrics.json"):  # fills and orders carry random event ids
        assert (a / name).read_text() == (b / name).read_text(), name
    assert len((a / "trades.csv").read_text().splitlines()) > 1  # the comparison is not of two empty runs
    config_a, config_b = (json.loads((d / "config.json").read_text()) for d in (a, b))
    assert config_a["strategy"]["params"] == config_b["strategy"]["params"]
    default = rbts("backtest", EXAMPLE, "--start", SMALL_DEMO_START, "--end", END, "--out", tmp_path / "default",
                   home=small_demo_home)
    assert (tmp_path / "default" / "trades.csv").read_text() != (a / "trades.csv").read_text()  # the set mattered
    assert default.exit_code == 0


def test_backtest_refuses_a_bad_set_before_any_work(tmp_path):
    result = rbts("backtest", EXAMPLE, "--start", SMALL_DEMO_START, "--end", END, "--set", "fast=6", home=tmp_path)
    assert result.exit_code == 1 and "param fast: 6 is outside its domain [5, 9, 13]" in result.output


def test_apply_with_set_saves_the_values_with_the_version(tmp_path):
    home = tmp_path / "home"
    src = tmp_path / "s.rbts"
    shutil.copy(EXAMPLE, src)
    result = rbts("apply", src, "--set", "slow=34", "--set", "tf=15m", home=home)
    assert result.exit_code == 0, result.output
    active = json.loads((home / "live" / "active_strategy.json").read_text())
    assert {p["name"]: p["default"] for p in active["params"]} == {"fast": 9, "slow": 34, "tf": "15m",
                                                                   "vix_drop": -0.25}
    saved = next((home / "strategies").rglob("v0001.rbts")).read_text()
    assert saved == EXAMPLE.read_text().replace("param slow = 21 in", "param slow = 34 in").replace(
        "param tf = 5m in", "param tf = 15m in")  # only the defaults changed, comments kept
    assert src.read_text() == EXAMPLE.read_text()  # the user's file is untouched

    bad = rbts("apply", src, "--set", "slow=35", home=home)
    assert bad.exit_code == 1 and "param slow: 35 is outside its domain [21, 34]" in bad.output
    assert json.loads((home / "live" / "active_strategy.json").read_text()) == active  # nothing replaced


def test_live_set_needs_a_file_and_is_passed_to_a_detached_bot(tmp_path, monkeypatch):
    result = rbts("live", "--set", "fast=5", home=tmp_path)
    assert result.exit_code == 2 and "needs a strategy FILE" in " ".join(result.output.split())
    from rbts.runtime.live import control

    seen = {}
    monkeypatch.setattr(control, "start", lambda *a, **k: seen.update(k) or 4242)
    ok = rbts("live", EXAMPLE, "--detach", "--set", "fast=5", home=tmp_path)
    assert ok.exit_code == 0 and seen["overrides"] == {"fast": "5"}
