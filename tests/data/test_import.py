"""`rbts data import`: round trip, every kind of bad row named and nothing written, re-import replaces."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support.demo_range import SMALL_DEMO_START
from typer.testing import CliRunner

from rbts.dsl.errors import RbtsError
from rbts.runtime.cli.app import app
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.data.importer import import_file
from rbts.runtime.settings import load_settings

HEADER = "ts,open,high,low,close,volume"


def _store(home: Path) -> BarStore:
    return BarStore(load_settings(home))


def _snapshot(home: Path) -> dict[str, str]:
    """Every file under the home with its content hash: 'byte-for-byte unchanged' made checkable."""
    return {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(home.rglob("*")) if p.is_file()}


def _demo_frame(small_demo_home, symbol="AAPL", end="2025-03-04"):
    return _store(small_demo_home).load_frame(symbol, SMALL_DEMO_START, end)


def _write_csv(path: Path, frame: pd.DataFrame, offset: bool = True) -> Path:
    stamps = frame.index.tz_convert("America/New_York")
    text = stamps.strftime("%Y-%m-%dT%H:%M:%S%z" if offset else "%Y-%m-%d %H:%M:%S")
    if offset:  # +hhmm -> +hh:mm, ISO 8601 extended form
        text = [t[:-2] + ":" + t[-2:] for t in text]
    out = frame.reset_index(drop=True)
    out.insert(0, "ts", list(text))
    out.to_csv(path, index=False)
    return path


def test_csv_round_trip_equals_the_input(tmp_path, small_demo_home):
    frame = _demo_frame(small_demo_home)
    csv = _write_csv(tmp_path / "aapl.csv", frame)
    result = import_file(_store(tmp_path / "home"), csv, "AAPL")
    assert (result.rows, result.seconds, result.replaced) == (len(frame), 60, 0)
    back = _store(tmp_path / "home").load_frame("AAPL")
    pd.testing.assert_frame_equal(back, frame, check_freq=False)
    assert not _store(tmp_path / "home").is_synthetic("AAPL")


def test_naive_times_are_read_in_tz_and_parquet_works(tmp_path, small_demo_home):
    frame = _demo_frame(small_demo_home, "VIX", SMALL_DEMO_START)
    csv = _write_csv(tmp_path / "vix.csv", frame, offset=False)
    import_file(_store(tmp_path / "a"), csv, "VIX")
    pd.testing.assert_frame_equal(_store(tmp_path / "a").load_frame("VIX"), frame, check_freq=False)
    # the same bars written in Chicago time
    chicago = frame.copy()
    chicago.index = chicago.index.tz_convert("America/Chicago").tz_localize(None)
    chicago.index.name = "TS"
    pq = tmp_path / "vix.parquet"
    chicago.rename(columns=str.upper).to_parquet(pq)
    import_file(_store(tmp_path / "b"), pq, "VIX", tz="America/Chicago")
    pd.testing.assert_frame_equal(_store(tmp_path / "b").load_frame("VIX"), frame, check_freq=False)


def test_columns_are_case_insensitive_and_extra_columns_ignored(tmp_path):
    csv = tmp_path / "x.csv"
    csv.write_text("Symbol,TS,Open,HIGH,low,Close,Volume,vwap\nX,2025-03-03 09:31,10,11,9,10.5,100,1\nX,2025-03-03 09:32,10.5,11,10,10.7,200,1\n")
    result = import_file(_store(tmp_path / "h"), csv, "xyz")
    assert result.symbol == "XYZ" and result.rows == 2
    assert _store(tmp_path / "h").load_frame("XYZ")["close"].tolist() == [10.5, 10.7]


GOOD = ["2025-03-03 09:31,10,11,9,10.5,100", "2025-03-03 09:32,10.5,11,10,10.7,200", "2025-03-03 09:33,10.7,10.9,10.1,10.2,300"]

BAD_ROWS = {
    "nan price": ("2025-03-03 09:34,10,NaN,9,10,1", "high is missing"),
    "empty field": ("2025-03-03 09:34,10,11,9,10,", "volume is missing"),
    "not a number": ("2025-03-03 09:34,10,11,abc,10,1", "low is 'abc', not a number"),
    "high below low": ("2025-03-03 09:34,10,9,11,10,1", "high 9 is below low 11"),
    "high below close": ("2025-03-03 09:34,10,10.5,9,10.8,1", "high 10.5 is below open/close 10.8"),
    "low above open": ("2025-03-03 09:34,9,11,9.5,10,1", "low 9.5 is above open/close 9"),
    "zero price": ("2025-03-03 09:34,0,11,0,10,1", "open is 0; prices must be positive"),
    "negative volume": ("2025-03-03 09:34,10,11,9,10,-1", "volume is -1; it cannot be negative"),
    "duplicate ts": ("2025-03-03 09:33,10,11,9,10,1", "duplicate ts '2025-03-03 09:33': line 4 has the same bar"),
    "unordered ts": ("2025-03-03 09:30,10,11,9,10,1", "out of order"),
    "bad ts": ("yesterday,10,11,9,10,1", "not an ISO 8601 time"),
    "nonexistent local time": ("2025-03-09 02:30,10,11,9,10,1", "does not exist or is ambiguous"),
}


@pytest.mark.parametrize("kind", sorted(BAD_ROWS))
def test_a_bad_row_is_named_and_leaves_the_catalog_byte_for_byte_unchanged(tmp_path, small_demo_home, kind):
    home = tmp_path / "home"
    import_file(_store(home), _write_csv(tmp_path / "seed.csv", _demo_frame(small_demo_home)), "AAPL")
    before = _snapshot(home)
    row, message = BAD_ROWS[kind]
    csv = tmp_path / "bad.csv"
    csv.write_text("\n".join([HEADER, *GOOD, "", row]) + "\n")  # the blank line must not shift line numbers
    with pytest.raises(RbtsError) as err:
        import_file(_store(home), csv, "AAPL")
    first = err.value.diagnostics[0]
    assert message in first.message
    assert first.span is not None and first.span.line == 6
    assert "bad.csv:6:" in err.value.render() and "nothing was imported" in err.value.render()
    assert _snapshot(home) == before


def test_every_bad_row_is_reported_and_parquet_names_row_numbers(tmp_path):
    frame = pd.DataFrame(
        {"ts": pd.to_datetime(["2025-03-03 14:31", "2025-03-03 14:32", "2025-03-03 14:32", "2025-03-03 14:34"], utc=True),
         "open": [10.0, 10, 10, 10], "high": [11.0, 9, 11, 11], "low": [9.0, 10, 9, np.nan], "close": [10.0, 10, 10, 10], "volume": [1.0, 1, 1, 1]}
    )  # fmt: skip
    frame.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(RbtsError) as err:
        import_file(_store(tmp_path / "h"), tmp_path / "bad.parquet", "AAPL")
    text = err.value.render()
    assert "row 2: high 9 is below low 10" in text
    assert "row 3: duplicate ts" in text and "row 2 has the same bar" in text
    assert "row 4: low is missing" in text
    assert "3 bad row(s)" in text
    assert not (tmp_path / "h" / "catalog").exists()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("time,open,high,low,close,volume", "missing required column(s) ts"),
        ("ts,open,high,low,close", "missing required column(s) volume"),
        ("ts,open,high,low,close,volume,Close", "column 'close' appears more than once"),
    ],
)
def test_missing_or_duplicate_columns(tmp_path, header, message):
    csv = tmp_path / "c.csv"
    csv.write_text(header + "\n" + GOOD[0] + "\n")
    with pytest.raises(RbtsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_file(_store(tmp_path / "h"), csv, "AAPL")


def test_open_stamped_file_is_refused_and_can_be_shifted(tmp_path, small_demo_home):
    frame = _demo_frame(small_demo_home)
    shifted = frame.copy()
    shifted.index = shifted.index - pd.Timedelta(minutes=1)  # what many vendors write: 09:30 .. 15:59
    csv = _write_csv(tmp_path / "open.csv", shifted)
    with pytest.raises(RbtsError, match="OPEN-stamped") as err:
        import_file(_store(tmp_path / "h"), csv, "AAPL")
    assert "--stamped open" in str(err.value)
    assert not (tmp_path / "h" / "catalog").exists()
    result = import_file(_store(tmp_path / "h"), csv, "AAPL", stamped="open")
    assert any("shifted" in n for n in result.notes)
    pd.testing.assert_frame_equal(_store(tmp_path / "h").load_frame("AAPL"), frame, check_freq=False)


def test_daily_bars_stamped_on_their_date_are_refused(tmp_path):
    csv = tmp_path / "d.csv"
    days = ["2025-03-03", "2025-03-04", "2025-03-05", "2025-03-06", "2025-03-07", "2025-03-10"]
    csv.write_text(HEADER + "\n" + "\n".join(f"{d},10,11,9,10,5" for d in days) + "\n")
    with pytest.raises(RbtsError, match="session DATE"):
        import_file(_store(tmp_path / "h"), csv, "SPY")
    result = import_file(_store(tmp_path / "h"), csv, "SPY", stamped="open")
    assert result.seconds == 86400
    assert str(_store(tmp_path / "h").load_frame("SPY").index[0].tz_convert("America/New_York")) == "2025-03-04 00:00:00-05:00"


def test_bar_size_is_inferred_and_stored(tmp_path, small_demo_home):
    from rbts.runtime.data.aggregate import resample

    five = resample(_demo_frame(small_demo_home), 300)
    result = import_file(_store(tmp_path / "h"), _write_csv(tmp_path / "five.csv", five), "MSFT")
    assert result.seconds == 300
    store = _store(tmp_path / "h")
    assert store.bar_seconds("MSFT") == 300
    assert str(store.load_bars("MSFT")[0].bar_type) == "MSFT.NASDAQ-5-MINUTE-LAST-EXTERNAL"


def test_reimport_of_an_overlapping_range_replaces_it_without_duplicates(tmp_path, small_demo_home):
    frame = _store(small_demo_home).load_frame("AAPL", "2025-03-03", "2025-03-05")
    home = tmp_path / "h"
    import_file(_store(home), _write_csv(tmp_path / "a.csv", frame.loc[: "2025-03-04 21:00"]), "AAPL")
    changed = frame.loc["2025-03-04 14:31":].copy()
    changed[["open", "high", "low", "close"]] += 1.0
    result = import_file(_store(home), _write_csv(tmp_path / "b.csv", changed), "AAPL")
    assert result.replaced == 390
    back = _store(home).load_frame("AAPL")
    assert len(back) == 3 * 390 and back.index.is_unique
    pd.testing.assert_frame_equal(back, pd.concat([frame.loc[: "2025-03-03 21:00"], changed]), check_freq=False)
    assert len(list((home / "catalog" / "data" / "bar" / "AAPL.NASDAQ-1-MINUTE-LAST-EXTERNAL").glob("*.parquet"))) == 1


def test_prices_are_rounded_to_the_tick_with_a_note(tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text(HEADER + "\n2025-03-03 09:31,10.004,11,9,10.5,1.5\n2025-03-03 09:32,10.5,11,10,10.7,2\n")
    result = import_file(_store(tmp_path / "h"), csv, "AAPL")
    assert any("rounded to 2 decimals" in n for n in result.notes) and any("volumes" in n for n in result.notes)
    assert _store(tmp_path / "h").load_frame("AAPL")["open"].iloc[0] == 10.0


def test_cli_import_and_ls(tmp_path, small_demo_home):
    csv = _write_csv(tmp_path / "aapl.csv", _demo_frame(small_demo_home))
    runner = CliRunner()
    ok = runner.invoke(app, ["--home", str(tmp_path / "h"), "data", "import", str(csv), "--symbol", "AAPL"])
    assert ok.exit_code == 0, ok.output
    assert "imported 780 1-minute bars for AAPL" in ok.output
    ls = runner.invoke(app, ["--home", str(tmp_path / "h"), "data", "ls"])
    assert ls.exit_code == 0
    lines = ls.output.splitlines()
    assert lines[0].split()[:5] == ["symbol", "bar", "first", "last", "bars"]
    assert lines[1].split()[:7] == ["AAPL", "1m", "2025-03-03", "09:31", "2025-03-04", "16:00", "780"]
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\n2025-03-05 09:31,10,9,11,10,1\n")
    fail = runner.invoke(app, ["--home", str(tmp_path / "h"), "data", "import", str(bad), "--symbol", "AAPL"])
    assert fail.exit_code == 1
    assert "bad.csv:2:" in fail.output and "high 9 is below low 11" in fail.output


def test_timezone_aware_parquet_and_clear_errors_for_epoch_numbers_and_bad_zones(tmp_path):
    frame = pd.DataFrame({"ts": pd.to_datetime([1741012260, 1741012320], unit="s", utc=True).tz_convert("America/Chicago"),
                          "open": [1.0, 1], "high": [1.0, 1], "low": [1.0, 1], "close": [1.0, 1], "volume": [1, 1]})  # fmt: skip
    frame.to_parquet(tmp_path / "aware.parquet")
    import_file(_store(tmp_path / "h"), tmp_path / "aware.parquet", "AAPL")
    assert str(_store(tmp_path / "h").load_frame("AAPL").index[0]) == "2025-03-03 14:31:00+00:00"
    frame["ts"] = [1741012260, 1741012320]
    frame.to_parquet(tmp_path / "epoch.parquet")
    with pytest.raises(RbtsError, match="ts column holds numbers"):
        import_file(_store(tmp_path / "h"), tmp_path / "epoch.parquet", "AAPL")
    with pytest.raises(RbtsError, match="unknown time zone 'Mars/Base'") as err:
        import_file(_store(tmp_path / "h"), tmp_path / "aware.parquet", "AAPL", tz="Mars/Base")
    assert err.value.render().startswith(f"{tmp_path / 'aware.parquet'}: error:")
    with pytest.raises(RbtsError, match="no such file"):
        import_file(_store(tmp_path / "h"), tmp_path / "missing.csv", "AAPL")


def test_real_data_replaces_the_demo_set_and_demo_never_overwrites_real_data(tmp_path, small_demo_home):
    from rbts.runtime.data import demo

    home = tmp_path / "h"
    demo.write_demo(_store(home), ["AAPL", "VIX"], "2025-03-03", "2025-03-07")
    real = _demo_frame(small_demo_home, "AAPL", "2025-03-03").copy()
    real[["open", "high", "low", "close"]] += 5.0
    result = import_file(_store(home), _write_csv(tmp_path / "real.csv", real), "AAPL")
    assert any("removed the SYNTHETIC demo bars of AAPL" in n for n in result.notes)
    store = _store(home)
    pd.testing.assert_frame_equal(store.load_frame("AAPL"), real, check_freq=False)  # no synthetic days left around it
    assert not store.is_synthetic("AAPL") and store.is_synthetic("VIX")
    counts = demo.write_demo(store, ["AAPL", "VIX"], "2025-03-03", "2025-03-07")
    assert counts["AAPL"] == -1 and counts["VIX"] == 5 * 390
    pd.testing.assert_frame_equal(store.load_frame("AAPL"), real, check_freq=False)
    runner = CliRunner()
    kept = runner.invoke(app, ["--home", str(home), "data", "demo", "--symbols", "AAPL", "--start", "2025-03-03", "--end", "2025-03-04"])
    assert kept.exit_code == 0 and "kept the real bars of AAPL" in kept.output
    forced = runner.invoke(app, ["--home", str(home), "data", "demo", "--symbols", "AAPL", "--start", "2025-03-03", "--end", "2025-03-04", "--force"])
    assert forced.exit_code == 0 and _store(home).is_synthetic("AAPL") and len(_store(home).load_frame("AAPL")) == 2 * 390


def test_bars_off_the_new_york_clock_grid_are_refused(tmp_path):
    csv = tmp_path / "g.csv"
    csv.write_text(HEADER + "\n2025-03-03 09:31:30,10,11,9,10,1\n2025-03-03 09:32:30,10,11,9,10,1\n")
    with pytest.raises(RbtsError, match="whole multiples of 1-minute") as err:
        import_file(_store(tmp_path / "h"), csv, "AAPL")
    assert err.value.diagnostics[0].span.line == 2
    hourly = tmp_path / "h.csv"
    hourly.write_text(HEADER + "\n2025-03-03 10:30,10,11,9,10,1\n2025-03-03 11:30,10,11,9,10,1\n2025-03-03 12:30,10,11,9,10,1\n")
    with pytest.raises(RbtsError, match="closes at 2025-03-03 10:30:00 New York"):
        import_file(_store(tmp_path / "h"), hourly, "AAPL")
