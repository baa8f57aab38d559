"""The builder's Parameters section in a real browser: add a param, use it in a rule's value.

Screenshot: test-artifacts/ui-params-builder.png (look at it when changing the section).
"""

from __future__ import annotations

import shutil

import pytest
from support.browser import ARTIFACTS, browser_page, running_ui

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ACE = 'iframe[title="streamlit_ace.streamlit_ace"]'
RULE = "strategy-rule-0-c0"


def _key(name: str) -> str:
    return f".st-key-{name}"


def _idle(page) -> None:
    page.wait_for_timeout(400)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'"
        " && !document.querySelector('[data-testid=stSkeleton]')", timeout=120_000)


def _fill(page, key: str, text: str) -> None:
    box = page.locator(f"{_key(key)} input")
    box.fill(text)
    box.press("Tab")
    _idle(page)


def _select(page, key: str, option: str) -> None:
    page.locator(f"{_key(key)} [role='combobox']").click()
    page.get_by_role("option", name=option, exact=True).click()
    _idle(page)


def test_add_a_param_and_use_it_in_a_rule(small_demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(small_demo_home, home)
    with running_ui(home) as url, browser_page(url) as page:
        page.get_by_text("Valid strategy").wait_for()
        _idle(page)
        try:
            page.get_by_text("Parameters (param)").click()
            _idle(page)
            _fill(page, "strategy-param-0-name", "rsi_level")
            _fill(page, "strategy-param-0-default", "70")
            _fill(page, "strategy-param-0-domain", "60..80 step 5")
            page.get_by_role("button", name="Add or change parameter").click()
            _idle(page)
            frame = page.locator(ACE).last.content_frame
            frame.locator(".ace_line", has_text="param rsi_level = 70 in 60..80 step 5").wait_for()
            page.get_by_text("param rsi_level = 70 in 60..80 step 5", exact=True).first.wait_for()  # the section lists it

            page.locator(_key("strategy-rule-0-scope")).get_by_text("exit", exact=True).click()
            _idle(page)
            _fill(page, "strategy-rule-0-name", "rsi_high")
            _select(page, f"{RULE}-left-kind", "Indicator")
            _select(page, f"{RULE}-left-func", "rsi")
            _select(page, f"{RULE}-op", "is above (>)")
            _select(page, f"{RULE}-right-kind", "Value")
            _select(page, f"{RULE}-right-value-from", "param rsi_level")
            page.get_by_role("button", name="Add rule").click()
            page.get_by_text("Added rule").first.wait_for()
            _idle(page)
            frame = page.locator(ACE).last.content_frame
            frame.locator(".ace_line", has_text="exit rsi_high: rsi(close, 14) > rsi_level").wait_for()
            page.get_by_text("Parameters (param)").scroll_into_view_if_needed()
        finally:
            page.screenshot(path=str(ARTIFACTS / "ui-params-builder.png"), full_page=True)
