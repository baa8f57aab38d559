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
