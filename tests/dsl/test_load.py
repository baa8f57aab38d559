"""The front door: every way of handing over a strategy gives the same checked program."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rbts.dsl.checked import CheckedStrategy
from rbts.dsl.errors import RbtsError
from rbts.dsl.load import load_strategy

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RBTS, JSON = EXAMPLES / "vix_ema_cross.rbts", EXAMPLES / "vix_ema_cross.json"


def test_text_path_json_file_json_dict_and_json_text_agree():
    forms = [RBTS.read_text(), RBTS, JSON, json.loads(JSON.read_text()), JSON.read_text()]
    loaded = [load_strategy(f) for f in forms]
    assert all(isinstance(c, CheckedStrategy) for c in loaded)
    assert len({c.settings for c in loaded}) == 1 and len({c.strategy for c in loaded}) == 1
    assert all(c.json_form()["rbts"] == 1 and c.json_form()["name"] == "VIX-calm EMA cross" for c in loaded)
    assert [c.origin.form for c in loaded] == ["rbts", "rbts", "json", "json", "json"]


def test_a_string_is_always_text_never_a_path():
    with pytest.raises(RbtsError, match="looks like a file name: a string is a strategy's text; pass a Path"):
        load_strategy(str(RBTS))


def test_a_named_text_is_text_even_when_it_looks_like_a_file_name():
    # an uploaded file holding just "my_strategy.rbts" got "pass a Path to read a file" (advice
    # for programmers, unpositioned); a text the caller names is read as the language (text fuzzer)
    with pytest.raises(RbtsError) as info:
        load_strategy("my_strategy.rbts", filename="upload.rbts")
    assert info.value.render().startswith("upload.rbts:1:")
    assert "Path" not in info.value.render()


def test_errors_are_positioned_in_their_file(tmp_path):
    bad = tmp_path / "bad.rbts"
    bad.write_text("universe: AAPL\nentry: close > emaa(close, 3)\n")
    with pytest.raises(RbtsError) as info:
        load_strategy(bad)
    assert info.value.render().startswith(f"{bad}:2:16: error:")
    with pytest.raises(RbtsError, match="no such file"):
        load_strategy(tmp_path / "missing.rbts")
    with pytest.raises(RbtsError, match="invalid JSON"):
        load_strategy('{"rbts": 1,')
    with pytest.raises(RbtsError, match=r"upload.json:1:1: error: \$: \[1\] is not of type 'object'"):
        load_strategy("[1]", filename="upload.json")  # a .json name says which form it is


def test_encoding_rule_utf8_with_an_optional_byte_order_mark(tmp_path):
    for path in (RBTS, JSON):
        with_bom = tmp_path / path.name
        with_bom.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
        assert load_strategy(with_bom).strategy == load_strategy(path).strategy
    latin1 = tmp_path / "latin1.rbts"
    latin1.write_bytes('strategy "caf\u00e9"\nuniverse: AAPL\n'.encode("latin-1"))
    with pytest.raises(RbtsError) as info:
        load_strategy(latin1)
    assert info.value.render().startswith(f"{latin1}:1:14: error: not UTF-8 text: byte 0xe9")
    assert 'strategy "caf' in info.value.render()  # the line is shown


def test_json_keeps_the_name_recorded_at_export_and_text_files_default_to_their_stem(tmp_path):
    unnamed = tmp_path / "my_idea.rbts"
    unnamed.write_text(RBTS.read_text().replace('strategy "VIX-calm EMA cross"\n', ""))
    assert load_strategy(unnamed).json_form()["name"] == "my_idea"
    exported = tmp_path / "renamed.json"
    exported.write_text(json.dumps(load_strategy(unnamed).json_form()))
    assert load_strategy(exported).json_form()["name"] == "my_idea"


def test_warnings_render_with_their_file(tmp_path):
    path = tmp_path / "w.rbts"
    path.write_text("universe: AAPL\nentry: close > open\n")
    assert load_strategy(path).render_warnings()[0].startswith(f"{path}:1:1: warning: no exit rule")


def test_overrides_of_unknown_parameters_are_errors():
    with pytest.raises(RbtsError, match="unknown param fast"):
        load_strategy(RBTS, overrides={"fast": "12"})
