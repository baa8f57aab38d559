"""The edited document (errors -> annotations, last valid kept) and import/export/versions."""

from __future__ import annotations

import json

import pytest

from rbts.dsl.errors import RbtsError
from rbts.runtime.settings import load_settings
from rbts.ui import persistence
from rbts.ui.document import Document, annotations, describe
from rbts.ui.session import REFERENCE

BROKEN = REFERENCE.replace("entry bull_cross: fast crosses_above slow", "entry bull_cross: fast crosses_above (slow")


def test_errors_become_annotations_at_their_line():
    doc = Document.open(REFERENCE)
    assert doc.is_valid and doc.valid_text == REFERENCE
    doc.set_text(BROKEN, from_editor=True)
    assert not doc.is_valid
    notes = annotations(doc.diagnostics)
    line = BROKEN.splitlines().index("entry bull_cross: fast crosses_above (slow")
    assert any(n["row"] == line and n["type"] == "error" for n in notes)
    assert all({"row", "column", "type", "text"} <= set(n) for n in notes)
    assert describe(doc.errors[0]).startswith(f"line {line + 1}, col ")


def test_an_invalid_edit_never_replaces_the_last_valid_strategy():
    doc = Document.open(REFERENCE)
    version = doc.editor_version
    doc.set_text(BROKEN, from_editor=True)
    assert doc.valid_text == REFERENCE and doc.valid.rule_names == ["market_hours", "vix_calm", "bull_cross",
                                                                    "bear_cross"]
    assert doc.editor_version == version  # typing does not reset the editor
    doc.revert()
    assert doc.text == REFERENCE and doc.is_valid and doc.editor_version == version + 1


def test_check_errors_are_annotated_too():
    doc = Document.open("universe: AAPL\nentry: ema(close, 9) > nope\n")
    assert doc.valid is None
    assert [n["row"] for n in annotations(doc.diagnostics)] == [1]
    assert "nope" in doc.errors[0].message


def test_export_json_imports_back_to_the_same_strategy():
    doc = Document.open(REFERENCE)
    exported = persistence.export_json(doc.valid)
    assert json.loads(exported)["rbts"] == 1
    text = persistence.import_text("x.json", exported.encode())
    assert Document.open(text).valid.strategy == doc.valid.strategy
    assert persistence.export_name(doc.valid, ".json") == "vix-calm-ema-cross.json"


@pytest.mark.parametrize("name,data,fragment", [
    ("bad.json", b'{"rbts": 1, "name": ', "bad.json"),
    ("bad.json", b'{"rbts": 1, "name": "x", "settings": {}, "body": [{"node": "Nope"}]}', ""),
    ("bad.rbts", b"universe: AAPL\nentry: close >\n", ""),
    ("bad.rbts", b"\xff\xfe\x00", "UTF-8"),
    ("strategy.py", b"print(1)", ".rbts or .json"),
])
def test_invalid_imports_raise_with_diagnostics(name, data, fragment):
    with pytest.raises(RbtsError) as err:
        persistence.import_text(name, data)
    assert err.value.diagnostics and fragment in err.value.render()


def test_save_and_open_registry_versions(tmp_path):
    settings = load_settings(tmp_path)
    doc = Document.open(REFERENCE)
    v1 = persistence.save_version(settings, doc.valid, doc.text)
    assert persistence.save_version(settings, doc.valid, doc.text) == v1  # unchanged: same version
    doc.set_text(REFERENCE.replace("capital: 10000", "capital: 20000"), from_editor=True)
    v2 = persistence.save_version(settings, doc.valid, doc.text)
    assert (v1.number, v2.number) == (1, 2)
    found = persistence.versions(settings)
    assert [v.number for v in found] == [2, 1]
    assert persistence.version_text(found[1]) == REFERENCE
    assert (tmp_path / "strategies" / v1.slug / "v0001.json").exists()
