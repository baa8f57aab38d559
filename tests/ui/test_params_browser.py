"""The builder's Parameters section in a real browser: add a number, a duration and a percent
param, use them in a rule's value and timeframe and in a stop loss, change one.

Screenshots (look at them when changing the section): test-artifacts/ui-params-builder.png (the
section after the changes), ui-params-builder-1-edit.png (a percent param in its edit form),
ui-params-builder-2-inputs.png (the settings' stop loss and a rule's timeframe using params).
"""

from __future__ import annotations

import shutil

import pytest
from support.browser import ARTIFACTS, browser_page, running_ui, wait_idle, widget_key

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ACE = 'iframe[title="streamlit_ace.streamlit_ace"]'
RULE = "strategy-rule-0-c0"


def _fill(page, key: str, text: str) -> None:
    box = page.locator(f"{widget_key(key)} input")
    box.fill(text)
    box.press("Tab")
    wait_idle(page)


def _select(page, key: str, option: str) -> None:
    page.locator(f"{widget_key(key)} [role='combobox']").click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def _add_param(page, name: str, kind: str, default: str, *, values: str = "", low: str = "", high: str = "",
               step: str = "") -> None:
    gen = _param_gen(page)
    _fill(page, f"strategy-param-{gen}-name", name)
    _select(page, f"strategy-param-{gen}-kind", kind)
    _fill(page, f"strategy-param-{gen}-default", default)
    if values:
        page.locator(widget_key(f"strategy-param-{gen}-shape")).get_by_text("a list of values").click()
        wait_idle(page)
        _fill(page, f"strategy-param-{gen}-values", values)
    else:
        _fill(page, f"strategy-param-{gen}-low", low)
        _fill(page, f"strategy-param-{gen}-high", high)
        _fill(page, f"strategy-param-{gen}-step", step)
    page.get_by_role("button", name="Add parameter").click()
    wait_idle(page)


def _code_line(page, text: str) -> None:
    page.locator(ACE).last.content_frame.locator(".ace_line", has_text=text).wait_for()


def test_add_params_of_each_kind_and_use_them(small_demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(small_demo_home, home)
    with running_ui(home) as url, browser_page(url) as page:
        page.get_by_text("Valid strategy").wait_for()
        wait_idle(page)
        try:
            page.get_by_text("Parameters (param)").click()
            wait_idle(page)
            _add_param(page, "rsi_level", "number", "70", low="60", high="80", step="5")
            _code_line(page, "param rsi_level = 70 in 60..80 step 5")
            page.get_by_text("param rsi_level = 70 in 60..80 step 5", exact=True).first.wait_for()  # the section lists it
            _add_param(page, "tf", "duration (5m, 1h)", "5m", values="5m, 15m")
            _code_line(page, "param tf = 5m in [5m, 15m]")
            _add_param(page, "stop", "percent (%)", "2", low="1", high="3", step="0.5")
            _code_line(page, "param stop = 2% in 1%..3% step 0.5%")

            page.locator(widget_key("strategy-rule-0-scope")).get_by_text("exit", exact=True).click()
            wait_idle(page)
            _fill(page, "strategy-rule-0-name", "rsi_high")
            _select(page, f"{RULE}-left-kind", "Indicator")
            _select(page, f"{RULE}-left-func", "rsi")
            _select(page, f"{RULE}-left-tf", "param tf")
            _select(page, f"{RULE}-op", "is above (>)")
            _select(page, f"{RULE}-right-kind", "Value")
            _select(page, f"{RULE}-right-value-from", "param rsi_level")
            page.get_by_role("button", name="Add rule").click()
            page.get_by_text("Added rule").first.wait_for()
            wait_idle(page)
            _code_line(page, "exit rsi_high: rsi(close, 14, tf) > rsi_level")

            page.get_by_text("Settings", exact=True).first.click()
            wait_idle(page)
            _select(page, f"strategy-set-{_settings_gen(page)}-stop_loss-param", "stop")
            page.get_by_role("button", name="Apply settings").click()
            page.get_by_text("Settings applied").first.wait_for()
            wait_idle(page)
            _code_line(page, "risk: stop_loss stop")
            page.get_by_text("Settings", exact=True).first.click()  # fold it again, for the screenshot
            wait_idle(page)

            page.locator(widget_key("strategy-param-edit-stop")).locator("button").first.click()
            wait_idle(page)
            page.get_by_role("button", name="Save parameter").wait_for()
            _fill(page, f"strategy-param-{_param_gen(page)}-high", "4")
            page.screenshot(path=str(ARTIFACTS / "ui-params-builder-1-edit.png"), clip=_builder_box(page))
            page.get_by_role("button", name="Save parameter").click()
            page.get_by_text("Changed").first.wait_for()
            wait_idle(page)
            _code_line(page, "param stop = 2% in 1%..4% step 0.5%")
            page.get_by_text("Parameters (param)").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "ui-params-builder.png"), full_page=True)

            page.locator(".stVerticalBlock", has_text="rsi_high").get_by_role("button", name="Edit").last.click()
            wait_idle(page)
            page.get_by_role("button", name="Save rule").wait_for()
            _unfold(page, "Settings", True)
            _unfold(page, "Parameters (param)", False)
            wait_idle(page)
            gen = _rule_gen(page)
            assert _shown(page, f"strategy-rule-{gen}-c0-left-tf") == "param tf"
            assert _shown(page, f"strategy-rule-{gen}-c0-right-value-from") == "param rsi_level"
            assert _shown(page, f"strategy-set-{_settings_gen(page)}-stop_loss-param") == "stop"
            page.get_by_text("Builder", exact=True).scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "ui-params-builder-2-inputs.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "ui-params-builder.png"), full_page=True)
            raise


def _unfold(page, title: str, unfolded: bool) -> None:
    details = page.locator("details", has=page.locator("summary", has_text=title)).first
    if (details.get_attribute("open") is not None) != unfolded:
        details.locator("summary").click()


def _builder_box(page) -> dict:
    box = page.get_by_text("Builder", exact=True).bounding_box()
    return {"x": box["x"] - 10, "y": box["y"] - 10, "width": 760, "height": 900}


def _gen(page, form: str, field: str) -> int:
    """A builder form's widget generation (its keys are strategy-<form>-<gen>-...)."""
    classes = page.locator(f"[class*='st-key-strategy-{form}-'][class*='-{field}']").first.get_attribute("class")
    return int(classes.split(f"st-key-strategy-{form}-")[1].split("-")[0])


def _param_gen(page) -> int:
    return _gen(page, "param", "name")


def _rule_gen(page) -> int:
    return _gen(page, "rule", "scope")


def _settings_gen(page) -> int:
    return _gen(page, "set", "capital")


def _shown(page, key: str) -> str:
    """The option a select box shows."""
    return page.locator(f"{widget_key(key)} [role='combobox']").input_value()
