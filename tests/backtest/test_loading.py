"""Every way of handing a strategy to run_backtest gives the same checked program."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rbts.dsl.checker import check_text
from rbts.dsl.errors import RbtsError
from rbts.runtime.backtest.loading import load_checked, run_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_text_path_json_file_json_dict_and_checked_agree():
    text = (EXAMPLES / "vix_ema_cross.rbts").read_text()
    forms = [text, str(EXAMPLES / "vix_ema_cross.rbts"), EXAMPLES / "vix_ema_cross.json",
             json.loads((EXAMPLES / "vix_ema_cross.json").read_text()),
             (EXAMPLES / "vix_ema_cross.json").read_text(), check_text(text)]
    loaded = [load_checked(f) for f in forms]
    settings = {c.settings for c, _ in loaded}
    assert len(settings) == 1
    assert all(j["rbts"] == 1 and j["name"] == "VIX-calm EMA cross" for _, j in loaded)


def test_errors_are_positioned_in_their_file(tmp_path):
    bad = tmp_path / "bad.rbts"
    bad.write_text("universe: AAPL\nentry: close > emaa(close, 3)\n")
    with pytest.raises(RbtsError) as info:
        load_checked(str(bad))
    assert info.value.render().startswith(f"{bad}:2:16: error:")
    with pytest.raises(RbtsError, match="no such strategy file"):
        load_checked(str(tmp_path / "missing.rbts"))
    with pytest.raises(RbtsError, match="invalid JSON"):
        load_checked('{"rbts": 1,')


def test_run_settings_overrides():
    settings = check_text((EXAMPLES / "vix_ema_cross.rbts").read_text()).settings
    changed = run_settings(settings, 5000, ["amd", " nvda", "AMD"])
    assert changed.capital == 5000 and changed.universe == ("AMD", "NVDA") and changed.data_symbols == ("VIX",)
    assert run_settings(settings, None, None) is settings
    with pytest.raises(RbtsError, match="capital must be between 1 and"):
        run_settings(settings, 0, None)
