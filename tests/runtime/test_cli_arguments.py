"""Issue #13: bad command-line arguments are clear errors (exit 1), refused before any work, never exit 70."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rbts.runtime.cli.app import app

STRATEGY = 'strategy "t"\nuniverse: AAPL\ncycle: 5m\nentry: close > ema(close, 9, 5m)\nexit: close < ema(close, 9, 5m)\n'


@pytest.fixture
def strategy(tmp_path) -> Path:
    path = tmp_path / "s.rbts"
    path.write_text(STRATEGY)
    return path


def _cli(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def _backtest(home, strategy, *extra):
    return _cli("--home", home, "backtest", strategy, "--start", "2025-03-04", "--end", "2025-03-05", *extra)


@pytest.mark.parametrize(("capital", "message"), [
    ("inf", "--capital: capital must be a number of USD, got inf"),  # was OverflowError from Money (exit 70)
    ("nan", "--capital: capital must be a number of USD, got nan"),
    ("1e-9", "--capital: capital must be between 1 and 1,000,000,000,000 USD, got 1e-09"),  # ran to -100%
    ("1e13", "capital must be between 1 and 1,000,000,000,000 USD"),
    ("0", "capital must be between 1 and"),
])  # fmt: skip
def test_capital_out_of_range_is_refused(small_demo_home, strategy, capital, message):
    result = _backtest(small_demo_home, strategy, "--capital", capital)
    assert result.exit_code == 1, result.output
    assert message in result.stderr


def test_out_must_be_a_folder_and_is_checked_before_the_run(small_demo_home, strategy, tmp_path):
    existing = tmp_path / "existing.txt"
    existing.write_text("keep me\n")
    result = _backtest(small_demo_home, strategy, "--out", existing)  # was FileExistsError after the run
    assert result.exit_code == 1 and f"--out: {existing} is a file; give a folder" in result.stderr
    assert existing.read_text() == "keep me\n"
    below = _backtest(small_demo_home, strategy, "--out", existing / "results")
    assert below.exit_code == 1 and "cannot be a folder" in below.stderr


@pytest.mark.parametrize(("start", "message"), [
    ("2025-13-01", "--start: bad date '2025-13-01': expected YYYY-MM-DD"),  # was DateParseError (exit 70)
    ("0001-01-01", "--start: date '0001-01-01' is outside 1970..2199"),  # was OutOfBoundsDatetime
    ("nat", "--start: bad date 'nat'"),
    ("2025-03-09T02:30", "does not exist or is ambiguous in America/New_York"),
])  # fmt: skip
def test_trace_dates_are_checked_like_backtest_dates(small_demo_home, strategy, start, message):
    result = _cli("--home", small_demo_home, "trace", strategy, "--start", start, "--end", "2025-03-20")
    assert result.exit_code == 1 and message in result.stderr, result.output


def test_backtest_dates_outside_the_catalog_years_are_refused(small_demo_home, strategy):
    result = _cli("--home", small_demo_home, "backtest", strategy, "--start", "0001-01-01", "--end", "2025-03-05")
    assert result.exit_code == 1 and "--start: 0001-01-01 is outside 1970..2199" in result.stderr


def test_trace_csv_must_be_a_file_in_an_existing_folder(small_demo_home, strategy, tmp_path):
    folder = _cli("--home", small_demo_home, "trace", strategy, "--csv", tmp_path)
    assert folder.exit_code == 1 and "is a folder; give a file name" in folder.stderr
    nowhere = _cli("--home", small_demo_home, "trace", strategy, "--csv", tmp_path / "no" / "t.csv")
    assert nowhere.exit_code == 1 and "does not exist" in nowhere.stderr


def test_home_pointing_at_a_file_is_an_error_not_an_empty_home(tmp_path, monkeypatch):
    not_a_folder = tmp_path / "home.txt"
    not_a_folder.write_text("x")
    result = _cli("--home", not_a_folder, "data", "ls")  # listed "no bars" as if the home were empty
    assert result.exit_code == 1 and f"--home {not_a_folder} is a file, not a folder" in result.stderr
    monkeypatch.setenv("RBTS_HOME", str(not_a_folder))
    from_env = _cli("data", "ls")
    assert from_env.exit_code == 1 and "RBTS_HOME" in from_env.stderr


def test_settings_of_the_wrong_type_are_named(tmp_path):
    (tmp_path / "rbts.yaml").write_text("capital: lots\n")
    result = _cli("--home", tmp_path, "data", "ls")
    assert result.exit_code == 1 and "rbts.yaml: capital: expected float, got 'lots'" in result.stderr
