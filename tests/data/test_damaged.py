"""Issue #13: a damaged catalog file is named with the way out; other symbols and commands keep working."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rbts.dsl.errors import RbtsError
from rbts.runtime.cli.app import app
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.data.damaged import DamagedFileError
from rbts.runtime.settings import load_settings

STRATEGY = 'strategy "t"\nuniverse: {sym}\ncycle: 5m\nentry: close > ema(close, 9, 5m)\nexit: close < ema(close, 9, 5m)\n'


def _store(home: Path) -> BarStore:
    return BarStore(load_settings(home))


def _file_of(home: Path, symbol: str) -> Path:
    return next((home / "catalog" / "data" / "bar").glob(f"{symbol}.*-1-MINUTE-LAST-EXTERNAL/*.parquet"))


def _damage(path: Path, how: str) -> None:
    if how == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    else:
        path.write_bytes(b"\0" * path.stat().st_size)


@pytest.fixture(params=["truncated", "zeroed"])
def damaged_home(request, tmp_path, small_demo_home) -> Path:
    home = tmp_path / "home"
    shutil.copytree(small_demo_home, home)
    _damage(_file_of(home, "AAPL"), request.param)
    return home


def _cli(home: Path, *args: str):
    return CliRunner().invoke(app, ["--home", str(home), *args])


def test_loading_names_the_damaged_file_and_the_way_out(damaged_home):
    store = _store(damaged_home)
    with pytest.raises(DamagedFileError) as err:
        store.load_frame("AAPL")
    text = err.value.render()
    assert text.startswith(str(_file_of(damaged_home, "AAPL"))) and "damaged catalog file (AAPL bars)" in text
    assert "rbts data repair AAPL" in text and "rbts data rm AAPL" in text
    for load in (lambda: store.load_bars("AAPL"), lambda: store.load_bars_merged(["MSFT", "AAPL"]), lambda: store.span("AAPL")):
        with pytest.raises(DamagedFileError):  # was ArrowInvalid / RuntimeError from Nautilus' reader
            load()
    assert len(store.load_frame("MSFT")) == 20 * 390 and len(store.load_bars_merged(["MSFT", "VIX"])) == 2 * 20 * 390


def test_data_ls_lists_every_symbol_and_marks_the_damaged_one(damaged_home):
    result = _cli(damaged_home, "data", "ls")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert set(rows) == {"AAPL", "AMD", "AMZN", "GOOGL", "META", "MSFT", "NVDA", "TSLA", "VIX"}
    assert "DAMAGED: 1 unreadable file(s), run `rbts data repair AAPL`" in rows["AAPL"]
    assert "7800" in rows["MSFT"] and "DAMAGED" not in rows["MSFT"]
    assert str(_file_of(damaged_home, "AAPL")) in result.stderr


def test_trace_and_backtest_fail_with_the_file_named_and_work_for_other_symbols(damaged_home, tmp_path):
    for sym, ok in (("AAPL", False), ("MSFT", True)):
        path = tmp_path / f"{sym}.rbts"
        path.write_text(STRATEGY.format(sym=sym))
        trace = _cli(damaged_home, "trace", str(path), "--start", "2025-03-05", "--end", "2025-03-05", "--csv", str(tmp_path / "t.csv"))
        backtest = _cli(damaged_home, "backtest", str(path), "--start", "2025-03-05", "--end", "2025-03-06")
        for result in (trace, backtest):
            if ok:
                assert result.exit_code == 0, result.output
            else:
                assert result.exit_code == 1, result.output
                assert "damaged catalog file (AAPL bars)" in result.stderr and "rbts data repair AAPL" in result.stderr


def test_reimport_sets_the_damaged_file_aside_and_works(damaged_home, tmp_path):
    """Real bars with a damaged file (a damaged demo file is simply replaced, like the rest of the demo set)."""
    folder = _file_of(damaged_home, "AAPL").parent
    real = _store(damaged_home).load_frame("MSFT", "2025-03-03", "2025-03-03")
    _store(damaged_home).write_frame("AAPL", real, 60, {"source": "first real import", "synthetic": False})
    _damage(next(folder.glob("*.parquet")), "truncated")
    broken_bytes = next(folder.glob("*.parquet")).read_bytes()
    csv = tmp_path / "aapl.csv"
    later = _store(damaged_home).load_frame("MSFT", "2025-03-04", "2025-03-04")
    stamps = later.index.tz_convert("America/New_York").strftime("%Y-%m-%dT%H:%M:%S%z")
    csv.write_text("ts,open,high,low,close,volume\n" + "".join(
        f"{t[:-2]}:{t[-2:]},{r.open},{r.high},{r.low},{r.close},{r.volume}\n" for t, r in zip(stamps, later.itertuples(), strict=True)))
    result = _cli(damaged_home, "data", "import", str(csv), "--symbol", "AAPL")
    assert result.exit_code == 0, result.output
    assert "set aside the damaged catalog file" in result.stdout
    kept = list((damaged_home / "catalog" / "damaged").rglob("*.parquet"))
    assert len(kept) == 1 and kept[0].read_bytes() == broken_bytes  # moved, not deleted
    assert len(_store(damaged_home).load_frame("AAPL")) == 390


def test_repair_sets_aside_only_damaged_files_and_rm_removes_the_symbol(damaged_home):
    result = _cli(damaged_home, "data", "repair", "AAPL")
    assert result.exit_code == 0, result.output
    assert "set aside" in result.stdout and "no readable bars are left" in result.stdout
    assert not _store(damaged_home).has("AAPL")
    assert len(list((damaged_home / "catalog" / "damaged").rglob("*.parquet"))) == 1
    fine = _cli(damaged_home, "data", "repair", "MSFT")
    assert fine.exit_code == 0 and "reads fine" in fine.stdout
    refused = _cli(damaged_home, "data", "rm", "MSFT")
    assert refused.exit_code == 1 and "--yes" in refused.stderr and _store(damaged_home).has("MSFT")
    gone = _cli(damaged_home, "data", "rm", "MSFT", "--yes")
    assert gone.exit_code == 0 and not _store(damaged_home).has("MSFT") and _store(damaged_home).has("VIX")
    assert "MSFT.NASDAQ-1-MINUTE-LAST-EXTERNAL" not in json.loads((damaged_home / "catalog" / "rbts_meta.json").read_text())


@pytest.mark.parametrize("command", [("repair",), ("rm", "--yes")])
def test_repair_and_rm_of_a_symbol_without_bars_are_refused(damaged_home, command):
    result = _cli(damaged_home, "data", command[0], "ibm", *command[1:])
    assert result.exit_code == 1 and "error: no bars for IBM in " in result.stderr, result.output
    assert _store(damaged_home).has("MSFT")  # nothing else touched


def test_a_lost_meta_file_never_turns_demo_bars_into_real_ones(tmp_path, small_demo_home):
    home = tmp_path / "home"
    shutil.copytree(small_demo_home, home)
    (home / "catalog" / "rbts_meta.json").write_text("{ truncated")
    store = _store(home)
    assert store.is_synthetic("AAPL") and "SYNTHETIC" in store.source_of("AAPL")["source"]
    frame = store.load_frame("MSFT", "2025-03-03", "2025-03-03")
    store.write_frame("XYZ", frame, 60, {"source": "imported", "synthetic": False})
    meta = json.loads((home / "catalog" / "rbts_meta.json").read_text())
    assert meta["AAPL.NASDAQ-1-MINUTE-LAST-EXTERNAL"]["synthetic"] is True and len(meta) == 10


def test_a_parquet_file_that_is_not_bars_is_damaged_too(tmp_path, small_demo_home):
    import pandas as pd

    home = tmp_path / "home"
    shutil.copytree(small_demo_home, home)
    pd.DataFrame({"x": [1, 2]}).to_parquet(_file_of(home, "AAPL"))
    with pytest.raises(RbtsError, match="damaged catalog file"):
        _store(home).load_frame("AAPL")
