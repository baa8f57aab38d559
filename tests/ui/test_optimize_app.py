"""The Optimize section in the Strategy tab through Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from support.sweep_cases import OPTIMIZE_ME

import rbts.ui
from rbts.ui.session import DOC_KEY

APP = str(Path(rbts.ui.__file__).resolve().parent / "app.py")


@pytest.fixture
def app(small_demo_home, monkeypatch):
    monkeypatch.setenv("RBTS_HOME", str(small_demo_home))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_strategy_without_params_says_how_to_add_one(app):
    assert any(m.value == "#### Optimize" for m in app.markdown)
    assert any("has no params to optimize" in i.value for i in app.info)
    assert not [b for b in app.button if b.label == "Run optimization"]


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_the_prescreen_choice_screens_every_variant_and_confirms_k(app):
    app.session_state[DOC_KEY].set_text(OPTIMIZE_ME, from_editor=False)
    app.run()
    box = app.checkbox(key="strategy.opt.prescreen")
    assert box.label == "Screen the 4 variants, confirm the best K" and not box.disabled
    assert app.number_input(key="strategy.opt.k").disabled  # until the box is ticked
    assert "4 combinations · about 4 backtests on" in " ".join(_captions(app))
    box.check().run()
    assert app.number_input(key="strategy.opt.k").value == 4  # K defaults to min(16, variants)
    app.number_input(key="strategy.opt.k").set_value(2).run()
    assert "4 combinations · all 4 pre-screened · about 2 backtests on" in " ".join(_captions(app))


def test_the_prescreen_choice_is_off_with_walk_forward_or_optuna(app):
    app.session_state[DOC_KEY].set_text(OPTIMIZE_ME, from_editor=False)
    app.run()
    app.checkbox(key="strategy.opt.prescreen").check().run()
    app.checkbox(key="strategy.opt.wf").check().run()
    assert app.checkbox(key="strategy.opt.prescreen").disabled
    assert "pre-screened" not in " ".join(_captions(app))  # walk-forward runs every variant in Nautilus
    app.checkbox(key="strategy.opt.wf").uncheck().run()
    app.selectbox(key="strategy.opt.search").set_value("optuna").run()
    assert app.checkbox(key="strategy.opt.prescreen").disabled


def test_a_domain_widened_in_the_code_is_offered_whole(app):
    """A param's domain widened in the code: the values to try are its whole new domain (the picker
    kept its old selection: Streamlit keeps a keyed widget's state when only its options change)."""
    text = (Path(__file__).resolve().parents[2] / "examples" / "vix_ema_cross_params.rbts").read_text()
    doc = app.session_state[DOC_KEY]
    doc.set_text(text, from_editor=True)
    app.run()
    assert [m.value for m in app.multiselect if m.label == "fast"] == [["5", "9", "13"]]
    doc.set_text(text.replace("param fast = 9 in [5, 9, 13]", "param fast = 9 in [5, 9, 13, 17]"), from_editor=True)
    app.run()
    assert not app.exception, app.exception
    assert [m.value for m in app.multiselect if m.label == "fast"] == [["5", "9", "13", "17"]]
