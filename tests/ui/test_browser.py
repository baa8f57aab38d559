"""End to end in a real browser: `rbts ui` on demo data, driven by Playwright + Debian's Chromium.

Build a rule with the builder and see the DSL text change, break the syntax and see
the editor's annotation, run a backtest and see the equity chart and the metrics.
Screenshots go to test-artifacts/ (look at them when changing the app).
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from support.browser import ARTIFACTS, browser_page, running_ui, wait_idle, widget_key

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ACE = 'iframe[title="streamlit_ace.streamlit_ace"]'
RULE = "strategy-rule-0-c0"


@pytest.fixture(scope="module")
def app_url(small_demo_home, tmp_path_factory):
    """`rbts ui` on a copy of the small demo home, on a free localhost port."""
    home = tmp_path_factory.mktemp("browser") / "home"
    shutil.copytree(small_demo_home, home)
    with running_ui(home) as url:
        yield url


@pytest.fixture(scope="module")
def page(app_url):
    with browser_page(app_url) as page:
        page.get_by_text("Valid strategy").wait_for()
        wait_idle(page)
        yield page


def _select(page, key: str, option: str) -> None:
    page.locator(f"{widget_key(key)} [role='combobox']").click()
    page.get_by_role("option", name=option, exact=True).click()


def _editor(page):
    """The code editor's frame (after a reset the old widget may linger until the rerun ends)."""
    return page.locator(ACE).last.content_frame


def _editor_text(page) -> str:
    return _editor(page).locator(".ace_content").inner_text()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"ui-{name}.png"), full_page=True)


def test_build_a_rule_break_the_syntax_and_backtest(page):
    try:
        _walk_through(page)
    except Exception:
        _shot(page, "failure")
        raise


def _walk_through(page) -> None:
    _shot(page, "01-start")
    assert "entry bull_cross: fast crosses_above slow" in _editor_text(page)

    # 1. Build `exit rsi_high: rsi(close, 14) > 70` with the builder.
    page.locator(widget_key("strategy-rule-0-scope")).get_by_text("exit", exact=True).click()
    name = page.locator(f"{widget_key('strategy-rule-0-name')} input")
    name.fill("rsi_high")
    name.press("Tab")
    wait_idle(page)
    _select(page, f"{RULE}-left-kind", "Indicator")
    wait_idle(page)
    _select(page, f"{RULE}-left-func", "rsi")
    wait_idle(page)
    _select(page, f"{RULE}-op", "is above (>)")
    wait_idle(page)
    _select(page, f"{RULE}-right-kind", "Value")
    wait_idle(page)
    value = page.locator(f"{widget_key(RULE + '-right-value')} input")
    value.fill("70")
    value.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Add rule").click()
    wait_idle(page)
    page.get_by_text("Added rule").first.wait_for()
    wait_idle(page)
    assert "exit rsi_high: rsi(close, 14) > 70" in _editor_text(page)
    _shot(page, "02-builder-rule")

    # 2. A syntax error typed in the editor: annotated in the gutter and listed.
    frame = _editor(page)
    frame.locator(".ace_content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nentry oops: close >")
    frame.locator(".ace_line", has_text="entry oops").wait_for()  # the keystrokes reached the editor
    for attempt in range(3):  # under load the first Ctrl+Enter can land before Ace has the focus
        page.keyboard.press("Control+Enter")
        try:
            page.get_by_text("1 error").first.wait_for(timeout=20_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            frame.locator(".ace_content").click()
            page.keyboard.press("Control+End")
    frame.locator(".ace_gutter-cell.ace_error").first.wait_for()
    assert page.get_by_text("builder waits").is_visible()
    _shot(page, "03-syntax-error")
    page.get_by_role("button", name="Revert to the last valid version").click()
    page.get_by_text("Valid strategy").wait_for()
    wait_idle(page)
    assert "oops" not in _editor_text(page)

    # 3. A backtest on the demo data: equity chart and metrics.
    page.get_by_role("button", name="Run backtest").click()
    page.get_by_text("Equity and drawdown").wait_for(timeout=300_000)
    wait_idle(page)
    metrics = page.locator("[data-testid='stMetric']")
    assert metrics.count() >= 6
    assert "Total return" in metrics.first.inner_text()
    page.get_by_text("Equity and drawdown").scroll_into_view_if_needed()
    _shot(page, "04-backtest")

    # 4. Downloads: the run folder as a zip, and the HTML report (both generated on click).
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Run folder (.zip)").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        assert {n.split("/")[-1] for n in archive.namelist()} >= {"metrics.json", "equity.csv", "trades.csv"}
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="HTML report").click()
    assert download.value.suggested_filename.endswith("-report.html")
    assert "Monthly returns" in Path(download.value.path()).read_text()
