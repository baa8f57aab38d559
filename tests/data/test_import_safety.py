"""Issue #13: an import that fails touches nothing stored; what cannot be stored is refused row by row."""

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rbts.dsl.errors import RbtsError
from rbts.runtime.cli.app import app
from rbts.runtime.data import fixed, instruments
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.data.importer import import_file
from rbts.runtime.settings import load_settings

HEADER = "ts,open,high,low,close,volume"


def _store(home: Path) -> BarStore:
    return BarStore(load_settings(home))


def _snapshot(home: Path) -> dict[str, str]:
    return {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(home.rglob("*")) if p.is_file()}


def _csv(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


@pytest.fixture
def demo_copy(tmp_path, small_demo_home) -> Path:
    home = tmp_path / "home"
    shutil.copytree(small_demo_home, home)
    return home


@pytest.mark.parametrize(("row", "message"), [
    ("2025-03-03 09:31,1e17,1e17,1e17,1e17,100", "the catalog stores prices up to 17,014,118,346,046"),
    ("2025-03-03 09:31,10,11,9,10.5,1e19", "the catalog stores volumes up to 34,028,236,692,093"),
])  # fmt: skip
def test_unstorable_values_are_refused_and_the_stored_bars_survive(demo_copy, tmp_path, row, message):
    # the reproducer: this deleted AAPL's (demo) bars and rewrote rbts_meta.json, then crashed with exit 70
    before = _snapshot(demo_copy)
    bad = _csv(tmp_path / "big.csv", row, "2025-03-03 09:32,10.5,11,10,10.7,200")
    result = CliRunner().invoke(app, ["--home", str(demo_copy), "data", "import", str(bad), "--symbol", "AAPL"])
    assert result.exit_code == 1, result.output
    assert message in result.stderr and "big.csv:2:" in result.stderr and "nothing was imported" in result.stderr
    assert _snapshot(demo_copy) == before


def test_a_failure_while_encoding_or_writing_leaves_every_file_unchanged(demo_copy, monkeypatch):
    """Whatever fails inside write_frame (here past the importer's checks), nothing stored changes."""
    store = _store(demo_copy)
    frame = store.load_frame("AAPL", "2025-03-03", "2025-03-03")
    before = _snapshot(demo_copy)
    huge = frame.copy()
    huge["volume"] = 1e30
    with pytest.raises(ValueError, match="fixed-point"):
        store.write_frame("AAPL", huge, 60, {"source": "test", "synthetic": False})
    assert _snapshot(demo_copy) == before

    from rbts.runtime.data import catalog

    def disk_full(table, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(catalog, "write_table_atomic", disk_full)
    with pytest.raises(OSError):
        store.write_frame("AAPL", frame + 1.0, 60, {"source": "test", "synthetic": False})
    assert _snapshot(demo_copy) == before
    assert store.is_synthetic("AAPL") and len(store.load_frame("AAPL")) == 20 * 390


def test_demo_force_replaces_real_bars_only_once_the_demo_bars_are_written(tmp_path, small_demo_home, monkeypatch):
    from rbts.runtime.data import demo

    home = tmp_path / "h"
    frame = _store(small_demo_home).load_frame("AAPL", "2025-03-03", "2025-03-03")
    _store(home).write_frame("AAPL", frame, 60, {"source": "real", "synthetic": False})
    before = _snapshot(home)
    monkeypatch.setattr(BarStore, "_write_instrument", lambda self, symbol: (_ for _ in ()).throw(OSError("disk")))
    with pytest.raises(OSError):
        demo.write_demo(_store(home), ["AAPL"], "2025-03-03", "2025-03-04", force=True)
    assert _snapshot(home) == before


def test_a_quoted_header_holding_a_comma_is_a_clear_error(tmp_path):
    bad = tmp_path / "q.csv"
    bad.write_text('"ts,x",open,high,low,close,volume\n2025-03-03 09:31,10,11,9,10.5,100\n')  # was StopIteration
    with pytest.raises(RbtsError, match=r"missing required column\(s\) ts; found: 'ts,x', open") as err:
        import_file(_store(tmp_path / "h"), bad, "AAPL")
    assert err.value.diagnostics[0].span.line == 1
    quoted = _csv(tmp_path / "ok.csv", "2025-03-03 09:31,10,11,9,10.5,100", "2025-03-03 09:32,10,11,9,10.5,100")
    quoted.write_text(quoted.read_text().replace(HEADER, '"ts","open","high","low","close","volume"'))
    assert import_file(_store(tmp_path / "h"), quoted, "AAPL").rows == 2


def test_a_bar_size_nautilus_cannot_name_is_refused_at_its_row(tmp_path):
    bad = _csv(tmp_path / "gap.csv", "2025-03-03 09:31,10,11,9,10.5,100", "2025-03-03 15:32,10,11,9,10.5,100")
    with pytest.raises(RbtsError, match="the bars are 361 minutes apart") as err:  # was a ValueError from BarType
        import_file(_store(tmp_path / "h"), bad, "AAPL")
    assert err.value.diagnostics[0].span.line == 3 and "bar sizes are 1-6, 10, 12" in str(err.value)
    assert not (tmp_path / "h" / "catalog").exists()


def test_storable_bar_sizes_are_exactly_those_nautilus_accepts():
    from nautilus_trader.model.data import BarType

    def nautilus_accepts(seconds: int) -> bool:
        try:
            BarType.from_str(f"AAPL.NASDAQ-{instruments.bar_spec(seconds)}-EXTERNAL")
            return True
        except ValueError:
            return False

    sizes = [*range(1, 7300), *range(7300, 3 * 86400 + 1, 60)]
    assert [s for s in sizes if instruments.storable_seconds(s)] == [s for s in sizes if nautilus_accepts(s)]


def test_the_catalog_limits_are_nautilus_own():
    from nautilus_trader.model import objects

    assert (fixed.PRICE_MAX, fixed.QUANTITY_MAX) == (objects.PRICE_MAX, objects.QUANTITY_MAX)


@pytest.mark.parametrize(("rows", "message"), [
    (("1960-03-03 09:31,10,11,9,10.5,100", "1960-03-03 09:32,10,11,9,10.5,100"), "is outside 1970..2199"),
    (("2025-03-03 09:31,0.001,0.001,0.001,0.001,100", "2025-03-03 09:32,10,11,9,10,1"), "which is 0 at this symbol's 2 decimals"),
])  # fmt: skip
def test_times_and_prices_the_catalog_cannot_hold_are_refused(tmp_path, rows, message):
    with pytest.raises(RbtsError, match=message) as err:
        import_file(_store(tmp_path / "h"), _csv(tmp_path / "x.csv", *rows), "AAPL")
    assert err.value.diagnostics[0].span.line == 2
    assert not (tmp_path / "h" / "catalog").exists()


def test_a_bad_byte_is_positioned_at_its_line_and_column(tmp_path):
    bad = tmp_path / "b.csv"
    bad.write_bytes(b"ts,open,high,low,close,volume\n2025-03-03 09:3\xff,10,11,9,10.5,100\n")
    with pytest.raises(RbtsError) as err:
        import_file(_store(tmp_path / "h"), bad, "AAPL")
    diag = err.value.diagnostics[0]
    assert "not UTF-8 text" in diag.message and (diag.span.line, diag.span.col) == (2, 16)
    assert err.value.render().startswith(f"{bad}:2:16: error:")


def test_a_folder_is_not_a_data_file(tmp_path):
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(RbtsError, match="this is a folder"):
        import_file(_store(tmp_path / "h"), tmp_path / "d.csv", "AAPL")


def test_overlapping_files_read_newest_first(tmp_path, small_demo_home):
    """A write cut short between the rename and the clean-up leaves the old file beside the new one:
    readers must see the new bars, not the old."""
    store = _store(tmp_path / "h")
    frame = _store(small_demo_home).load_frame("AAPL", "2025-03-03", "2025-03-04")
    store.write_frame("AAPL", frame, 60, {"source": "old", "synthetic": False})
    folder = next((tmp_path / "h" / "catalog" / "data" / "bar").iterdir())
    old_bytes = next(folder.glob("*.parquet")).read_bytes()
    newer = frame.iloc[390:] + 1.0
    store.write_frame("AAPL", newer, 60, {"source": "new", "synthetic": False})
    stale = folder / "9999-stale.parquet"  # sorts last by name, but is the oldest file
    stale.write_bytes(old_bytes)
    os.utime(stale, ns=(1, 1))
    back = _store(tmp_path / "h").load_frame("AAPL")
    assert np.allclose(back["close"].iloc[390:].to_numpy(), newer["close"].to_numpy())
    pd.testing.assert_index_equal(back.index, frame.index)
