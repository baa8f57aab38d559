"""Fuzzed command lines: every one ends with exit 0, 1 (user error) or 2 (usage), never a traceback."""

import shutil

import pytest
from hypothesis import given
from typer.testing import CliRunner

from rbts.runtime.cli.app import app
from support.fuzz_budget import fuzz_settings
from support.fuzz_front import COUNTS
from support.fuzz_inputs import command_lines
from support.hostile_corpus import PARAMS

STRATEGY = 'strategy "t"\nuniverse: AAPL\ncycle: 5m\nentry: close > ema(close, 9, 5m)\nexit: close < ema(close, 9, 5m)\n'
CSV = "ts,open,high,low,close,volume\n2025-03-03 09:31,10,11,9,10.5,100\n2025-03-03 09:32,10.5,11,10,10.7,200\n"


@pytest.fixture(scope="module")
def places(tmp_path_factory, small_demo_home):
    root = tmp_path_factory.mktemp("fuzz_cli")
    (root / "s.rbts").write_text(STRATEGY)
    from rbts.dsl.checker import check_text
    from rbts.dsl.json_form import dumps, to_json

    checked = check_text(STRATEGY)
    (root / "s.json").write_text(dumps(to_json(checked.strategy, settings=checked.settings)))
    (root / "p.rbts").write_text(PARAMS)
    (root / "bars.csv").write_text(CSV)
    (root / "file.txt").write_text("not a folder\n")
    (root / "dir").mkdir()
    return {"root": root, "template": small_demo_home}


def _fill(args, places, work):
    root = places["root"]
    values = {"{home}": str(work / "home"), "{strategy}": str(work / "s.rbts"), "{params}": str(root / "p.rbts"),
              "{json}": str(root / "s.json"),
              "{csv}": str(root / "bars.csv"), "{file}": str(root / "file.txt"), "{dir}": str(root / "dir"),
              "{missing}": str(work / "missing" / "x"), "{through}": str(root / "file.txt" / "x")}
    return [values.get(a, a) for a in args]


@pytest.mark.slow
@fuzz_settings("cli")
@given(args=command_lines())
def test_fuzzed_command_lines(places, tmp_path_factory, args):
    work = tmp_path_factory.mktemp("cli", numbered=True)
    try:
        shutil.copytree(places["template"], work / "home")
        shutil.copy(places["root"] / "s.rbts", work / "s.rbts")
        filled = _fill(args, places, work)
        result = CliRunner().invoke(app, filled)
        assert result.exception is None or isinstance(result.exception, SystemExit), (filled, repr(result.exception))
        assert result.exit_code in (0, 1, 2), (filled, result.exit_code, result.output)
        COUNTS["cli " + ("ok" if result.exit_code == 0 else "error")] += 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
