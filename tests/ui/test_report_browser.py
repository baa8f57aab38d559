"""The HTML backtest report opens in a real browser (Debian's Chromium) without errors."""

from __future__ import annotations

import pytest
from support.browser import ARTIFACTS, browser_page
from support.bt_data import PARITY_STRATEGY

from rbts.runtime.backtest.run_folder import read_run
from rbts.runtime.backtest.runner import run_backtest
from rbts.runtime.settings import load_settings
from rbts.ui.report import build_report

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_report_opens_in_chromium_without_errors(small_demo_home, tmp_path):
    run_dir = run_backtest(PARITY_STRATEGY, "2025-03-03", "2025-03-21", home=small_demo_home).write(tmp_path / "run")
    page_file = tmp_path / "report.html"
    page_file.write_text(build_report(read_run(run_dir), load_settings(small_demo_home)))
    with browser_page(page_file.as_uri(), height=900) as page:
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.reload()  # listen from the first script on
        page.locator(".js-plotly-plot .main-svg").first.wait_for()
        assert page.locator(".js-plotly-plot .scatterlayer .trace").count() >= 3  # equity, buy-and-hold, drawdown
        assert page.get_by_role("heading", name="Monthly returns").is_visible()
        assert page.get_by_role("heading", name="Per ticker").is_visible()
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        assert errors == []
