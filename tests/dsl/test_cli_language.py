"""``rbts compile`` and ``rbts fmt``: output, atomic writes, exit codes, error format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rbts.dsl.json_form import from_json
from rbts.dsl.parser import parse
from rbts.runtime.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "vix_ema_cross.rbts"
runner = CliRunner()


def rbts(*args: str, home: Path):
    return runner.invoke(app, ["--home", str(home), *args])


def test_compile_prints_the_json(tmp_path):
    result = rbts("compile", str(REFERENCE), home=tmp_path)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == json.loads(REFERENCE.with_suffix(".json").read_text())


def test_compile_to_a_file_and_back_from_json(tmp_path):
    out = tmp_path / "out.json"
    assert rbts("compile", str(REFERENCE), "-o", str(out), home=tmp_path).exit_code == 0
    assert from_json(out.read_text()) == parse(REFERENCE.read_text())
    again = rbts("compile", str(out), home=tmp_path)
    assert again.exit_code == 0
    assert json.loads(again.stdout) == json.loads(out.read_text())
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary file left


def test_compile_graph(tmp_path):
    result = rbts("compile", str(REFERENCE), "--graph", home=tmp_path)
    assert result.exit_code == 0, result.output
    assert "VIX-calm EMA cross" in result.stdout and "ExponentialMovingAverage" in result.stdout
    out = tmp_path / "graph.json"
    assert rbts("compile", str(REFERENCE), "--graph", "-o", str(out), home=tmp_path).exit_code == 0
    assert isinstance(json.loads(out.read_text()), dict)


def test_compile_error_is_positioned_and_exits_1(tmp_path):
    bad = tmp_path / "bad.rbts"
    bad.write_text("universe: AAPL\nentry: emma(close, 9) > 1\n")
    result = rbts("compile", str(bad), home=tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{bad}:2:8: error: unknown function 'emma'")
    assert "    entry: emma(close, 9) > 1\n           ^~~~" in result.stderr
    assert result.stdout == ""


def test_compile_syntax_error(tmp_path):
    bad = tmp_path / "bad.rbts"
    bad.write_text("universe: AAPL\nentry: close >\n")
    result = rbts("compile", str(bad), home=tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{bad}:2:")


def test_compile_bad_json_is_positioned(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"rbts": 1,\n "name": "x", "defaulted": [], "body": [],\n "settings": 3}\n')
    result = rbts("compile", str(bad), home=tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{bad}:3:")
    assert "$.settings" in result.stderr


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing.rbts", "no such file"),
    (lambda p: p, "is a folder"),
])
def test_compile_unreadable_input(tmp_path, make, message):
    result = rbts("compile", str(make(tmp_path)), home=tmp_path)
    assert result.exit_code == 1 and message in result.stderr


def test_compile_non_utf8(tmp_path):
    bad = tmp_path / "bin.rbts"
    bad.write_bytes(b"universe: A\nentry: close > 1 \xff\xfe\n")
    result = rbts("compile", str(bad), home=tmp_path)
    # positioned like every other error (issue #13: the line used to be in the message only)
    assert result.exit_code == 1 and result.stderr.startswith(f"{bad}:2:18: error: not UTF-8 text")


def test_usage_errors_exit_2(tmp_path):
    assert rbts("compile", home=tmp_path).exit_code == 2
    assert rbts("compile", str(REFERENCE), "--bogus", home=tmp_path).exit_code == 2
    assert rbts("fmt", home=tmp_path).exit_code == 2


@pytest.mark.parametrize("command", ["compile", "fmt"])
def test_help(command, tmp_path):
    result = rbts(command, "--help", home=tmp_path)
    assert result.exit_code == 0
    assert "FILE" in result.stdout and ("--check" in result.stdout or "--graph" in result.stdout)


def test_fmt_rewrites_in_place(tmp_path):
    src = tmp_path / "s.rbts"
    src.write_text("entry: a crosses above b  # go\nuniverse: A\n")
    result = rbts("fmt", str(src), home=tmp_path)
    assert result.exit_code == 0
    assert src.read_text() == "universe: A\n\nentry: a crosses_above b  # go\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.rbts"]


def test_fmt_check_changes_nothing_and_exits_1(tmp_path):
    src = tmp_path / "s.rbts"
    text = "entry: ((a > b))\nuniverse: A\n"
    src.write_text(text)
    result = rbts("fmt", "--check", str(src), home=tmp_path)
    assert result.exit_code == 1 and "not formatted" in result.stderr
    assert src.read_text() == text
    assert rbts("fmt", str(src), home=tmp_path).exit_code == 0
    assert rbts("fmt", "--check", str(src), home=tmp_path).exit_code == 0


def test_fmt_leaves_a_formatted_file_untouched(tmp_path):
    src = tmp_path / "s.rbts"
    src.write_text(REFERENCE.read_text())
    before = src.stat().st_mtime_ns
    assert rbts("fmt", str(src), home=tmp_path).exit_code == 0
    assert src.stat().st_mtime_ns == before


def test_fmt_syntax_error_leaves_the_file(tmp_path):
    src = tmp_path / "s.rbts"
    src.write_text("universe: A\nentry: (close >\n")
    result = rbts("fmt", str(src), home=tmp_path)
    assert result.exit_code == 1 and result.stderr.startswith(f"{src}:")
    assert src.read_text() == "universe: A\nentry: (close >\n"


def test_fmt_refuses_json(tmp_path):
    result = rbts("fmt", str(REFERENCE.with_suffix(".json")), home=tmp_path)
    assert result.exit_code == 1 and "rbts fmt formats .rbts" in result.stderr


def test_examples_are_canonical(tmp_path):
    for path in sorted((ROOT / "examples").glob("*.rbts")):
        assert rbts("fmt", "--check", str(path), home=tmp_path).exit_code == 0, path.name


def test_console_script_end_to_end(tmp_path):
    """The installed entry point: JSON on stdout, error + caret on stderr, exit codes."""
    exe = Path(sys.executable).with_name("rbts")
    ok = subprocess.run([str(exe), "--home", str(tmp_path), "compile", str(REFERENCE)], capture_output=True, text=True)
    assert ok.returncode == 0 and json.loads(ok.stdout)["rbts"] == 1
    bad = tmp_path / "bad.rbts"
    bad.write_text("universe: AAPL\nentry: close > > 1\n")
    err = subprocess.run([str(exe), "--home", str(tmp_path), "compile", str(bad)], capture_output=True, text=True)
    assert err.returncode == 1 and err.stderr.startswith(f"{bad}:2:16: error:") and "^" in err.stderr


def test_a_defaulted_name_survives_a_json_round_trip(tmp_path):
    src = tmp_path / "my_strategy.rbts"
    src.write_text("universe: AAPL\ncycle: 5m\nentry: close > 1\nexit: close < 1\n")
    out = tmp_path / "export.json"
    assert rbts("compile", str(src), "-o", str(out), home=tmp_path).exit_code == 0
    again = rbts("compile", str(out), home=tmp_path)
    data = json.loads(again.stdout)
    assert data["name"] == "my_strategy" and "name" in data["defaulted"]
    assert data == json.loads(out.read_text())


def test_fmt_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real.rbts"
    real.write_text("entry: ((a > b))\nuniverse: A\n")
    link = tmp_path / "link.rbts"
    link.symlink_to(real)
    assert rbts("fmt", str(link), home=tmp_path).exit_code == 0
    assert link.is_symlink() and real.read_text() == "universe: A\n\nentry: a > b\n"


def test_output_folder_missing_is_a_user_error(tmp_path):
    result = rbts("compile", str(REFERENCE), "-o", str(tmp_path / "no" / "such" / "x.json"), home=tmp_path)
    assert result.exit_code == 1 and "cannot write" in result.stderr


def test_check_errors_of_a_json_file_point_into_the_json(tmp_path):
    data = json.loads(REFERENCE.with_suffix(".json").read_text())
    data["body"][4]["cond"]["left"]["name"] = "fasst"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, indent=1))
    result = rbts("compile", str(bad), home=tmp_path)
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    line = int(first.split(":")[1])
    assert first.startswith(f"{bad}:") and "unknown name 'fasst'" in first
    assert bad.read_text().splitlines()[line - 1].strip() == '"left": {'  # the name node's object
