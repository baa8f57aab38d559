"""The Optimize section end to end in a real browser: `rbts ui` on the small demo data.

Paste a strategy with two params, run a 2 x 2 grid over the small demo data's 20 sessions, watch the progress,
read the verdict, the ranked table and the heatmap, then "Use these values" and see the
editor's text change; and the same grid pre-screened, its best 2 confirmed in Nautilus (SPEC §6.3).
Screenshots go to test-artifacts/optimize-*.png.
"""

from __future__ import annotations

import base64
import json
import math
import shutil

import pytest
from support.browser import ARTIFACTS, browser_page, running_ui, wait_idle, widget_key
from support.sweep_cases import OPTIMIZE_ME

pytestmark = [pytest.mark.browser, pytest.mark.slow]

pytest.importorskip("rbts.dsl.params", reason="params in the language (SPEC §6.1) are not on this branch yet")

ACE = 'iframe[title="streamlit_ace.streamlit_ace"]'


# Streamlit scrolls inside its own container, so a full-page screenshot holds only the viewport:
# tall enough for the whole section with its results (at 4,400 px the variant picker sat on the
# bottom edge and its options opened outside the page).
HEIGHT = 6000


@pytest.fixture
def page(small_demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(small_demo_home, home)
    with running_ui(home) as url, browser_page(url, height=HEIGHT) as page:
        page.get_by_text("Valid strategy").wait_for()
        wait_idle(page)
        yield page


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"optimize-{name}.png"), full_page=True)


def _editor_text(page) -> str:
    return page.locator(ACE).last.content_frame.locator(".ace_content").inner_text()


def test_run_a_grid_read_the_results_and_use_a_variant(page):
    try:
        _walk_through(page)
    except Exception:
        _shot(page, "failure")
        raise


def _walk_through(page) -> None:
    _paste_strategy(page)
    page.get_by_text("Optimize", exact=True).scroll_into_view_if_needed()
    for name in ("fast", "slow"):  # the params' whole domains are picked by default
        assert page.locator(widget_key(f"strategy.opt.values.{name}.0")).is_visible()
    page.get_by_text("4 combinations").wait_for()
    _shot(page, "1-section")

    page.get_by_role("button", name="Run optimization").click()
    page.get_by_text("Optimizing…").first.wait_for(timeout=60_000)
    _shot(page, "2-progress")
    page.get_by_text("Deflated Sharpe ratio").wait_for(timeout=600_000)
    wait_idle(page)
    caption = page.get_by_text("4 ok, 0 errors").first.inner_text()
    assert "results in" in caption and "/sweeps/Optimize-me-" in caption
    assert page.get_by_text("Variants (4; click a column to sort)").is_visible()
    assert page.locator("[data-testid='stDataFrame']:visible").count() == 1  # the ranked variants
    heat = page.locator(f"{widget_key('strategy.opt.heat')} .js-plotly-plot")
    heat.wait_for()
    assert page.evaluate("(el) => el.data[0].type", heat.element_handle()) == "heatmap"
    heat.scroll_into_view_if_needed()
    _shot(page, "3-results")

    # a variant other than the defaults (9, 21), so the text must change
    page.locator(f"{widget_key('strategy.opt.pick')} [role='combobox']").click()
    page.get_by_role("option").filter(has_text="fast=5, slow=30").click()
    wait_idle(page)
    page.get_by_role("button", name="Use these values").click()
    page.get_by_text("Params set to fast=5, slow=30").first.wait_for()
    wait_idle(page)
    text = _editor_text(page)
    assert "param fast = 5 in [5, 9]" in text and "param slow = 30 in [21, 30]" in text
    _shot(page, "4-used")


def _paste_strategy(page) -> None:
    page.get_by_role("button", name="Import").click()
    area = page.get_by_label("…or paste its text (.rbts or JSON)")
    area.fill(OPTIMIZE_ME)
    area.press("Control+Enter")  # a text area sends its value on Ctrl+Enter or blur
    wait_idle(page)
    page.get_by_role("button", name="Import pasted text").click()
    page.get_by_text("Imported pasted.rbts").wait_for()
    page.keyboard.press("Escape")  # close the Import popover
    wait_idle(page)


def test_screen_every_variant_and_confirm_the_best_k(page):
    try:
        _prescreen_walk_through(page)
    except Exception:
        _shot(page, "prescreen-failure")
        raise


def _prescreen_walk_through(page) -> None:
    _paste_strategy(page)
    page.get_by_text("Optimize", exact=True).scroll_into_view_if_needed()
    page.get_by_text("Screen the 4 variants, confirm the best K").click()
    wait_idle(page)
    k = page.locator(f"{widget_key('strategy.opt.k')} input")
    k.fill("2")
    k.press("Enter")
    wait_idle(page)
    page.get_by_text("4 combinations · all 4 pre-screened · about 2 backtests").wait_for()
    _shot(page, "prescreen-1-choice")

    page.get_by_role("button", name="Run optimization").click()
    page.get_by_text("Pre-screen vs Nautilus").wait_for(timeout=600_000)
    wait_idle(page)
    assert page.get_by_text("4 variants screened in").is_visible()
    metrics = page.locator("[data-testid='stMetric']").all_inner_texts()
    assert any("Variants screened" in m and "4" in m for m in metrics), metrics
    assert any("Confirmed in Nautilus" in m and "2" in m for m in metrics), metrics
    assert any("Rank correlation (Spearman)" in m for m in metrics), metrics
    # the side by side: one row per confirmed variant, the pre-screen's figure beside Nautilus'
    assert page.locator("[data-testid='stDataFrame']:visible").count() == 2  # side by side + all variants
    assert page.locator(f"{widget_key('strategy.opt.prescreen_fig')} .js-plotly-plot").count() == 1
    # the heatmap covers every screened variant, not only the 2 confirmed
    page.get_by_text("Heatmap: the pre-screen's sharpe of every variant screened").wait_for()
    heat = page.locator(f"{widget_key('strategy.opt.heat')} .js-plotly-plot")
    heat.wait_for()
    z = json.loads(page.evaluate("(el) => JSON.stringify(el.data[0].z)", heat.element_handle()))
    assert _finite_cells(z) == 4
    page.get_by_text("Pre-screen vs Nautilus").scroll_into_view_if_needed()
    _shot(page, "prescreen-2-results")


def _finite_cells(z) -> int:
    """How many cells of a heatmap's z hold a number (plotly.js keeps a typed array as dtype + bdata)."""
    if isinstance(z, dict):
        import numpy as np

        return int(np.isfinite(np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"])).sum())
    return sum(1 for row in z for v in row if v is not None and not math.isnan(v))

