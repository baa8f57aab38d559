"""The one atomic writer every stored file goes through."""

from __future__ import annotations

import os

import pytest

from rbts.runtime.files import atomic_write


def test_text_and_bytes_land_whole_with_default_mode(tmp_path):
    target = tmp_path / "a" / "b.json"
    atomic_write(target, "héllo\n", parents=True)
    assert target.read_bytes() == "héllo\n".encode()
    assert target.stat().st_mode & 0o777 == 0o644
    atomic_write(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert [p.name for p in target.parent.iterdir()] == ["b.json"]  # no temp file left


def test_a_replaced_file_keeps_its_mode_and_a_symlink_its_link(tmp_path):
    real = tmp_path / "real.rbts"
    real.write_text("old")
    real.chmod(0o600)
    link = tmp_path / "link.rbts"
    link.symlink_to(real)
    atomic_write(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert real.stat().st_mode & 0o777 == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "keep.txt"
    target.write_text("old")

    def boom(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_a_missing_folder_is_an_error_unless_asked_for(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "nope" / "out.json", "{}")
    assert not (tmp_path / "nope").exists()


def test_a_stream_writer_replaces_only_when_the_block_ends_well(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rbts.runtime.files import atomic_writer

    target = tmp_path / "bars" / "x.parquet"
    with atomic_writer(target, parents=True) as fh:
        pq.write_table(pa.table({"a": [1, 2]}), fh)
        assert not target.exists()  # nothing visible until the block ends
    assert pq.read_table(target).column("a").to_pylist() == [1, 2]
    with pytest.raises(ValueError), atomic_writer(target) as fh:
        fh.write(b"half a file")
        raise ValueError("the writer failed half-way")
    assert pq.read_table(target).column("a").to_pylist() == [1, 2]
    assert [p.name for p in target.parent.iterdir()] == ["x.parquet"]


def test_no_module_writes_its_own_temp_file():
    """Every stored file goes through runtime/files.py (the catalog had its own temp-file write)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    own = [str(p.relative_to(root)) for folder in ("dsl", "compiler", "runtime", "ui") for p in (root / folder).rglob("*.py")
           if p != root / "runtime" / "files.py" and any(w in p.read_text() for w in ("mkstemp(", "NamedTemporaryFile("))]
    assert own == []
