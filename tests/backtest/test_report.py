"""Backtest reports: the analysis tables (hand-computed cases), run folders read back, `rbts report`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from io import BytesIO

import numpy as np
import pandas as pd
import pytest
from support.bt_data import PARITY_STRATEGY

from rbts.dsl.errors import RbtsError
from rbts.runtime.backtest import analysis
from rbts.runtime.backtest.run_folder import from_result, read_run
from rbts.runtime.backtest.runner import run_backtest
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.settings import load_settings
from rbts.ui import report

NY = "America/New_York"


def _ny(*stamps: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([pd.Timestamp(s, tz=NY) for s in stamps]).tz_convert("UTC")


# ----------------------------------------------------------------------------- analysis, by hand


def test_monthly_returns_by_hand():
    index = _ny("2024-12-30 10:00", "2024-12-31 16:00", "2025-01-02 10:00", "2025-01-31 16:00",
                "2025-02-03 16:00", "2025-02-28 15:00", "2025-02-28 16:00")
    equity = pd.Series([9_000.0, 10_100.0, 10_000.0, 10_200.0, 9_690.0, 12_000.0, 10_098.0], index=index)
    table = analysis.monthly_returns(equity, 10_000.0)
    assert list(table.index) == [2024, 2025]
    assert table.loc[2024, "Dec"] == pytest.approx(0.01)  # 10,100 / 10,000 (the capital before the first month)
    assert table.loc[2025, "Jan"] == pytest.approx(10_200 / 10_100 - 1)
    assert table.loc[2025, "Feb"] == pytest.approx(10_098 / 10_200 - 1)  # the day's last cycle counts
    assert table.loc[2025, "Year"] == pytest.approx(10_098 / 10_100 - 1)
    assert np.isnan(table.loc[2025, "Mar"]) and np.isnan(table.loc[2024, "Jan"])


def test_ticker_breakdown_by_hand():
    cycles = pd.date_range("2025-03-03 14:35", periods=10, freq="5min", tz="UTC")
    trades = pd.DataFrame({
        "symbol": ["MSFT", "AAPL", "AAPL"], "entry_ts": [cycles[0], cycles[2], cycles[7]],
        "exit_ts": [cycles[1], cycles[5], pd.NaT], "pnl": [-5.0, 10.0, -3.0]})
    table = analysis.ticker_breakdown(trades, cycles).set_index("symbol")
    assert table.loc["AAPL"].to_dict() == {"trades": 1, "open": 1, "pnl": 7.0, "win_rate": 1.0, "exposure": 0.6}
    assert table.loc["MSFT"].to_dict() == {"trades": 1, "open": 0, "pnl": -5.0, "win_rate": 0.0, "exposure": 0.1}


def test_buy_and_hold_by_hand():
    bars = pd.date_range("2025-03-03 14:31", periods=4, freq="1min", tz="UTC")
    closes = {"A": pd.Series([9.0, 10.0, 11.0, 12.0], index=bars), "B": pd.Series([30.0, 20.0, 20.0, 10.0], index=bars)}
    cycles = pd.DatetimeIndex([bars[1], bars[2] + pd.Timedelta("30s"), bars[3]])  # the middle one sees bar 2
    line = analysis.buy_and_hold(closes, 1_000.0, cycles)
    assert line.tolist() == pytest.approx([1_000.0, 550.0 + 500.0, 600.0 + 250.0])


def test_decimated_lines_keep_ends_and_extremes():
    from rbts.ui.figures import decimate

    values = np.cumsum(np.random.default_rng(3).normal(size=100_000))
    keep = decimate(len(values), 3_000, extremes=(values,))
    assert len(keep) <= 3_000 and keep[0] == 0 and keep[-1] == len(values) - 1
    assert values.argmax() in keep and values.argmin() in keep
    assert (np.diff(keep) > 0).all()
    assert decimate(10, 3_000).tolist() == list(range(10))


# ----------------------------------------------------------------------------- a real run folder


@pytest.fixture(scope="module")
def result(demo_home):
    return run_backtest(PARITY_STRATEGY, "2025-02-03", "2025-03-31", home=demo_home)


@pytest.fixture(scope="module")
def run_dir(result, tmp_path_factory):
    return result.write(tmp_path_factory.mktemp("report") / "run")


def test_a_run_folder_reads_back_as_the_result(result, run_dir):
    folder, memory = read_run(run_dir), from_result(result)
    assert folder.metrics == memory.metrics
    assert folder.equity.index.equals(memory.equity.index.as_unit(folder.equity.index.unit))
    np.testing.assert_allclose(folder.equity["equity"], memory.equity["equity"])
    assert folder.symbols == ["AAPL", "MSFT", "NVDA"] and folder.name == "parity"
    pd.testing.assert_series_equal(folder.trades["pnl"], memory.trades["pnl"].astype(float), check_names=False)


def test_report_tables_agree_with_the_metrics(result):
    run = from_result(result)
    months = analysis.monthly_returns(run.equity["equity"], run.capital)
    assert list(months.index) == [2025] and months.loc[2025, ["Feb", "Mar"]].notna().all()
    assert months.loc[2025, "Year"] == pytest.approx(run.metrics["total_return"])
    tickers = analysis.ticker_breakdown(run.trades, run.equity.index)
    assert tickers["trades"].sum() == run.metrics["trades"]
    assert tickers["pnl"].sum() == pytest.approx(run.metrics["final_equity"] - run.capital)
    assert (tickers["exposure"] <= run.metrics["exposure"] + 1e-12).all()


def test_one_ticker_exposure_is_the_runs_exposure(demo_home):
    single = from_result(run_backtest(PARITY_STRATEGY, "2025-03-03", "2025-03-14", symbols=["NVDA"], home=demo_home))
    (row,) = analysis.ticker_breakdown(single.trades, single.equity.index).itertuples()
    assert row.exposure == pytest.approx(single.metrics["exposure"])


def test_downloads_are_the_out_files(result, run_dir):
    from rbts.ui.backtest_downloads import folder_name, run_zip

    archive = zipfile.ZipFile(BytesIO(run_zip(result)))
    name = folder_name(result)
    assert name == "parity-2025-02-03-2025-03-31"
    assert sorted(archive.namelist()) == sorted(f"{name}/{f.name}" for f in run_dir.iterdir())
    for member in ("metrics.json", "trades.csv", "equity.csv"):
        assert archive.read(f"{name}/{member}").decode() == (run_dir / member).read_text()


# ----------------------------------------------------------------------------- rbts report


def _rbts(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rbts.runtime.cli.app", *args], capture_output=True, text=True)


def test_rbts_report_writes_the_page(run_dir, demo_home, tmp_path):
    out = tmp_path / "report.html"
    done = _rbts("--home", str(demo_home), "report", str(run_dir), "-o", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text()
    assert "<title>parity" in page and "Monthly returns" in page and "Buy &amp; hold AAPL, MSFT, NVDA" in page
    assert "SPY is not in the catalog" in page
    assert "synthetic demo set" in page  # the demo bars are labelled as such
    assert page.count("Plotly.newPlot") == 1 and "<script src" not in page  # plotly.js inlined: opens offline
    for warning in json.loads((run_dir / "metrics.json").read_text())["warnings"]:
        assert warning in page


def test_spy_joins_when_the_catalog_has_it(result, demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    store = BarStore(load_settings(home))
    spy = store.load_frame("AAPL", "2025-02-03", "2025-03-31") * [2.0, 2.0, 2.0, 2.0, 1.0]
    store.write_frame("SPY", spy, 60, {"source": "test: AAPL doubled", "synthetic": True})
    lines = report.load_benchmarks(from_result(result), load_settings(home))
    assert list(lines.lines) == ["Buy & hold AAPL, MSFT, NVDA", "SPY buy & hold"] and not lines.notes
    aapl_only = analysis.buy_and_hold({"AAPL": store.load_frame("AAPL")["close"]}, 10_000.0, result.equity.index)
    np.testing.assert_allclose(lines.lines["SPY buy & hold"], aapl_only, rtol=1e-9)


def test_rbts_report_on_bad_folders_says_where(run_dir, tmp_path):
    done = _rbts("report", str(tmp_path))
    assert done.returncode == 1 and "not a backtest folder" in done.stderr and "Traceback" not in done.stderr
    broken = tmp_path / "broken"
    shutil.copytree(run_dir, broken)
    lines = (broken / "equity.csv").read_text().splitlines()
    lines[3] = lines[3].replace(",", ",oops", 1)
    (broken / "equity.csv").write_text("\n".join(lines) + "\n")
    done = _rbts("report", str(broken))
    assert done.returncode == 1 and f"{broken / 'equity.csv'}:4:27: error: equity: expected a number" in done.stderr
    assert not (broken / "report.html").exists()
    (broken / "metrics.json").write_text('{"start": "2025-02-03",\n "end": }')
    done = _rbts("report", str(broken))
    assert done.returncode == 1 and f"{broken / 'metrics.json'}:2:9: error: not valid JSON" in done.stderr
    done = _rbts("report", str(run_dir), "-o", str(tmp_path / "no" / "such" / "r.html"))
    assert done.returncode == 1 and "does not exist" in done.stderr


def test_reading_never_changes_the_folder(run_dir):
    before = {f.name: f.read_bytes() for f in run_dir.iterdir()}
    with pytest.raises(RbtsError):
        read_run(run_dir / "missing")
    read_run(run_dir)
    assert {f.name: f.read_bytes() for f in run_dir.iterdir()} == before
