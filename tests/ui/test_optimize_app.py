"""The Optimize section in the Strategy tab through Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import rbts.ui

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
