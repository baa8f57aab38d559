"""The Live tab in a real browser: `rbts ui` on a small demo home, Playwright + Debian's Chromium.

Start a replay bot from the tab, watch the status banner, equity / PnL and the last cycle
update by themselves (the monitor fragment refreshes every few seconds), stop it from the
tab.  Screenshots go to test-artifacts/live-*.png (look at them when changing the tab).
"""

from __future__ import annotations

import os
import re
import shutil

import pytest
from support.browser import ARTIFACTS, browser_page, ensure_chromium, running_ui
from livetest import rbts, stop_bot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STRATEGY = """strategy "browser demo"
universe: AAPL, MSFT
capital: 10000
cycle: 5m
order: market
let fast = ema(close, 3, 5m)
let slow = ema(close, 8, 5m)
entry up: fast > slow
exit down: fast < slow
"""


@pytest.fixture
def home(small_demo_home, tmp_path):
    ensure_chromium()
    home = tmp_path / "home"
    shutil.copytree(small_demo_home, home)
    (tmp_path / "demo.rbts").write_text(STRATEGY)
    assert rbts(home, "apply", str(tmp_path / "demo.rbts")).returncode == 0
    yield home
    stop_bot(home)


@pytest.fixture
def app_url(home):
    env = {k: v for k, v in os.environ.items() if k != "RBTS_LIVE_PLUGIN"}
    with running_ui(home, env=env) as url:
        yield url


@pytest.fixture
def page(app_url):
    with browser_page(app_url, height=1800) as page:
        page.get_by_role("tab", name="Live").click()
        yield page


def _settled(page) -> None:
    """Wait until Streamlit has finished the rerun in progress (no stale, greyed-out elements)."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'"
        " && !document.querySelector('[data-testid=stSkeleton]')"
        " && !document.querySelector('[data-stale=true]')", timeout=60_000)


def _metric(page, label: str) -> str:
    metric = page.locator("[data-testid=stMetric]").filter(has_text=label).first
    return metric.locator("[data-testid=stMetricValue]").inner_text()


def test_start_watch_and_stop_a_replay_bot_from_the_live_tab(page, home):
    page.get_by_text("bot not running").wait_for()
    page.get_by_text("(no events)").wait_for()
    _settled(page)
    page.screenshot(path=str(ARTIFACTS / "live-0-idle.png"), full_page=True)
    page.locator(".st-key-live_start input").fill("2025-03-10")
    page.locator(".st-key-live_speed input").fill("3000")
    page.locator(".st-key-live_speed input").press("Enter")
    page.locator(".st-key-live_start_btn button").click()

    page.get_by_text(re.compile(r"bot running \(pid \d+\) \| mode replay \| connected \| strategy browser-demo v1")) \
        .wait_for(timeout=90_000)
    # the monitor refreshes by itself: a first cycle, then a later one with PnL on the books
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetric]')].some(m => m.innerText.includes('Last cycle')"
        " && /2025-03-1\\d/.test(m.innerText))", timeout=90_000)
    first_cycle = _metric(page, "Last cycle")
    page.wait_for_function(
        "(first) => [...document.querySelectorAll('[data-testid=stMetric]')].some(m =>"
        " m.innerText.includes('Last cycle') && !m.innerText.includes(first))", arg=first_cycle, timeout=90_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetric]')].some(m => m.innerText.includes('Realised')"
        " && /[+-][1-9]|[+-]0\\.(0[1-9]|[1-9])/.test(m.innerText))", timeout=90_000)
    assert _metric(page, "Equity") not in ("-", "10,000.00")
    page.get_by_text("Rules per ticker").wait_for()
    assert page.locator("[data-testid=stDataFrame]").count() >= 4  # positions, orders, rules, fills
    _settled(page)
    page.screenshot(path=str(ARTIFACTS / "live-1-running.png"), full_page=True)

    page.locator(".st-key-live_stop_btn button").click()
    page.get_by_text(re.compile(r"bot not running \(run 1 stopped at [0-9:-]+ [0-9:]+\)")).wait_for(timeout=60_000)
    page.get_by_text("last state the bot wrote").wait_for()
    _settled(page)
    assert page.locator(".st-key-live_start_btn button").is_enabled()
    page.screenshot(path=str(ARTIFACTS / "live-2-stopped.png"), full_page=True)
