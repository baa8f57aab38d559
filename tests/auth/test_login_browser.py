"""The locked-down app in a real browser (Playwright + Debian's Chromium): with a password set,
an unauthenticated visitor gets the login page and no control at all; a wrong password is
refused; the right one opens the app with its controls.  Screenshots: test-artifacts/login-*.png."""

from __future__ import annotations

import pytest
from support.browser import ARTIFACTS, browser_page, ensure_chromium, running_ui

from rbts.runtime import auth

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"
CONTROLS = ["Start", "Stop", "Restart", "Flatten all", "Apply to bot"]


@pytest.fixture
def app_url(tmp_path):
    ensure_chromium()
    home = tmp_path / "home"
    auth.set_password(home, PASSWORD)
    with running_ui(home) as url:
        yield url


def _visible_buttons(page) -> set[str]:
    return {b.inner_text().strip() for b in page.get_by_role("button").all() if b.is_visible()}


def test_unauthenticated_gets_the_login_page_and_no_controls(app_url):
    with browser_page(app_url, height=900) as page:
        page.locator("input[type=password]").wait_for()
        page.screenshot(path=str(ARTIFACTS / "login-page.png"))
        assert page.get_by_role("tab").count() == 0
        assert not _visible_buttons(page) & set(CONTROLS)
        assert page.get_by_text("This app controls a trading bot. Log in to continue.").is_visible()

        page.locator("input[type=password]").fill("not the password")
        page.get_by_role("button", name="Log in").click()
        page.get_by_text("Wrong password.").wait_for()
        assert page.get_by_role("tab").count() == 0

        page.locator("input[type=password]").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("tab", name="Live").click()
        page.get_by_role("button", name="Start", exact=True).wait_for()
        page.screenshot(path=str(ARTIFACTS / "login-after.png"))
        assert page.get_by_role("button", name="Log out").is_visible()
