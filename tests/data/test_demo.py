"""The synthetic demo set: deterministic, on real XNYS sessions, labelled, VIX against the stocks."""

import hashlib

import exchange_calendars as xcals
import numpy as np
import pandas as pd
from typer.testing import CliRunner

from rbts.runtime.cli.app import app
from rbts.runtime.data import demo
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.settings import load_settings


def _bytes_of(home):
    files = sorted((home / "catalog" / "data" / "bar").rglob("*.parquet"))
    return {str(f.relative_to(home)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def test_two_runs_write_the_same_bytes(tmp_path):
    for name in ("a", "b"):
        demo.write_demo(BarStore(load_settings(tmp_path / name)), ["AAPL", "VIX"], "2025-06-02", "2025-06-13")
    assert _bytes_of(tmp_path / "a") == _bytes_of(tmp_path / "b")
    assert len(_bytes_of(tmp_path / "a")) == 2


def test_sessions_match_the_xnys_calendar_with_holidays_and_early_closes(demo_home):
    frame = BarStore(load_settings(demo_home)).load_frame("AAPL")
    cal = xcals.get_calendar("XNYS")
    schedule = cal.schedule.loc["2025-01-01":"2025-12-31"]
    local = frame.index.tz_convert("America/New_York")
    days = pd.Series(local, index=local.normalize().tz_localize(None))
    first, last, count = days.groupby(level=0).min(), days.groupby(level=0).max(), days.groupby(level=0).size()
    assert list(first.index) == list(schedule.index)
    assert (first.dt.strftime("%H:%M") == "09:31").all()
    closes = schedule["close"].dt.tz_convert("America/New_York").dt.strftime("%H:%M")
    assert list(last.dt.strftime("%H:%M")) == list(closes)
    assert set(closes) == {"16:00", "13:00"}  # early closes are honoured
    assert pd.Timestamp("2025-07-04") not in first.index and pd.Timestamp("2025-12-25") not in first.index
    assert pd.Timestamp("2025-11-28") in first.index and count[pd.Timestamp("2025-11-28")] == 210
    assert len(frame) == 96_960 and frame.index.is_unique and (np.diff(frame.index.asi8) > 0).all()


def test_bars_are_valid_and_vix_moves_against_the_stocks(demo_home):
    store = BarStore(load_settings(demo_home))
    frames = store.load_frames(demo.DEMO_SYMBOLS)
    for symbol, f in frames.items():
        assert (f["high"] >= f[["open", "close"]].max(axis=1)).all(), symbol
        assert (f["low"] <= f[["open", "close"]].min(axis=1)).all(), symbol
        assert (f["low"] > 0).all() and (f["volume"] >= 0).all(), symbol
        assert store.is_synthetic(symbol)
    five = {s: frames[s]["close"].resample("5min", label="right", closed="right").last().dropna() for s in ("AAPL", "VIX")}
    returns = pd.DataFrame({s: np.log(c).diff() for s, c in five.items()}).dropna()
    assert returns.corr().loc["AAPL", "VIX"] < -0.3


def test_reference_vix_rule_is_sometimes_true_and_mostly_false(demo_home):
    """slope(ema(VIX, 9, 5m), 30m) < -0.25, computed the SPEC way on 5-minute bars."""
    vix = BarStore(load_settings(demo_home)).load_frame("VIX")["close"]
    five = vix.resample("5min", label="right", closed="right").last().dropna()
    ema = five.ewm(span=9, adjust=False).mean()
    rule = ((ema - ema.shift(6)) / 6 < -0.25)[9 + 6 :]
    assert 0.01 < rule.mean() < 0.2
    assert rule.groupby(rule.index.tz_convert("America/New_York").date).any().mean() > 0.1


def test_subsets_are_slices_of_the_full_year():
    full = demo.generate(["MSFT"])["MSFT"]
    part = demo.generate(["MSFT"], "2025-09-02", "2025-09-05")["MSFT"]
    pd.testing.assert_frame_equal(part, full.loc["2025-09-02 13:31":"2025-09-05 20:00"])


def test_cli_demo_labels_the_data_synthetic(tmp_path):
    runner = CliRunner()
    home = str(tmp_path / "h")
    out = runner.invoke(app, ["--home", home, "data", "demo", "--symbols", "NVDA,VIX", "--start", "2025-04-01", "--end", "2025-04-02"])
    assert out.exit_code == 0, out.output
    assert "SYNTHETIC" in out.output and "1,560" in out.output
    ls = runner.invoke(app, ["--home", home, "data", "ls"])
    rows = ls.output.splitlines()[1:]
    assert [r.split()[0] for r in rows] == ["NVDA", "VIX"]
    assert all("SYNTHETIC" in r for r in rows)
    bad = runner.invoke(app, ["--home", home, "data", "demo", "--symbols", "IBM"])
    assert bad.exit_code == 1 and "no synthetic model for IBM" in bad.output
    outside = runner.invoke(app, ["--home", home, "data", "demo", "--start", "2024-01-01", "--end", "2024-02-01"])
    assert outside.exit_code == 1 and "covers 2025" in outside.output
