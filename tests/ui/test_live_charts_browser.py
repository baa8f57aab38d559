"""A newcomer's first live run in a real browser: `rbts ui` on a fresh demo home, Playwright + Chromium.

Strategy tab: paste a strategy. Live tab: "Start with <it>" (no strategy was ever applied), then
the equity chart, the ticker's candles with the strategy's own lines and the rule strip appear
and advance; a fill marker's hover explains the decision; an apply (`rbts apply`) marks the
version change on the equity chart.  Screenshots: test-artifacts/live-charts-*.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
from support.browser import ARTIFACTS, browser_page, ensure_chromium, running_ui

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STRATEGY = """strategy "chart demo"
universe: AAPL, MSFT
capital: 10000
cycle: 5m
order: limit 0.05% ttl 10m
let fast = ema(close, 3, 5m)
let slow = ema(close, 8, 5m)
global calm: VIX < 40
entry up: fast > slow and rsi(close, 14) > 45
exit down: fast < slow
"""
EQUITY = ".st-key-live_equity_chart .js-plotly-plot"
TICKER = ".st-key-live_ticker_chart .js-plotly-plot"


def _rbts(home, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rbts.runtime.cli.app", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def home(small_demo_home, tmp_path):
    ensure_chromium()
    home = tmp_path / "home"
    shutil.copytree(small_demo_home, home)  # demo bars only: no strategy was ever applied
    yield home
    _rbts(home, "stop")


@pytest.fixture
def page(home):
    env = {k: v for k, v in os.environ.items() if k != "RBTS_LIVE_PLUGIN"}
    with running_ui(home, env=env) as url, browser_page(url, height=2200) as page:
        page.get_by_text("Valid strategy").wait_for()
        yield page


def _settled(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'"
        " && !document.querySelector('[data-testid=stSkeleton]')", timeout=60_000)


def _traces(page, selector: str) -> list[dict]:
    """name, type and last x of every trace of a drawn Plotly chart ([] until it is drawn)."""
    return page.evaluate(
        "(sel) => { const el = document.querySelector(sel); if (!el || !el.data) return [];"
        " return el.data.map(t => ({name: t.name || '', type: t.type || 'scatter',"
        " n: t.x ? t.x.length : 0, last: t.x && t.x.length ? String(t.x[t.x.length - 1]) : ''})); }", selector)


def _shot(page, name: str) -> None:
    _settled(page)
    page.screenshot(path=str(ARTIFACTS / f"live-charts-{name}.png"), full_page=True)
    # the Live tab refreshes itself; Streamlit's dimming of elements not yet redrawn made its tables blink
    dimmed = page.evaluate("() => [...document.querySelectorAll('.st-key-live_monitor [data-testid=stElementContainer]')]"
                           ".filter(e => parseFloat(getComputedStyle(e).opacity) < 1).length")
    assert dimmed == 0, f"{dimmed} dimmed elements in the Live tab ({name})"


def test_first_run_charts_advance_and_an_apply_is_marked(page, home, tmp_path):
    try:
        _first_run(page, home, tmp_path)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "live-charts-failure.png"), full_page=True)
        raise


def _hover_last_buy(page) -> str:
    """Move the mouse onto the newest buy marker; the hover label's text, and a screenshot of the chart
    with it (the chart redraws every few seconds, which may drop a label or move the marker from under
    the mouse as the x range grows: try again)."""
    for _ in range(5):
        x, y = page.evaluate(
            "(tk) => { const el = document.querySelector(tk);"
            " const g = [...el.querySelectorAll('.scatterlayer .trace')].find(g => g.__data__ && g.__data__[0]"
            "   && g.__data__[0].trace && g.__data__[0].trace.name === 'buys');"
            " const pts = g.querySelectorAll('path.point'); const r = pts[pts.length - 1].getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; }", TICKER)
        page.mouse.move(x - 30, y - 30)
        page.mouse.move(x, y, steps=4)
        try:  # an SVG label: read its text (Playwright's visibility check does not see into it)
            text = page.wait_for_function(
                "(tk) => { const h = document.querySelector(tk + ' .hoverlayer .hovertext');"
                " return h && h.textContent; }", arg=TICKER, timeout=3_000).json_value()
        except Exception:  # noqa: BLE001 - redrawn under the mouse
            continue
        if not text.startswith("BUY"):  # a refresh widened the x range: the mouse is on a line now
            continue
        box = page.evaluate("(tk) => { const r = document.querySelector(tk).getBoundingClientRect();"
                            " return {x: r.x, y: r.y, width: r.width, height: r.height}; }", TICKER)
        page.screenshot(path=str(ARTIFACTS / "live-charts-2-fill-hover.png"), clip=box)
        return text
    raise AssertionError("no hover label on the newest buy marker")


def _paste_strategy(page) -> None:
    page.get_by_role("button", name="Import").click()
    area = page.get_by_label("…or paste its text (.rbts or JSON)")
    area.fill(STRATEGY)
    area.press("Control+Enter")  # a text area sends its value on Ctrl+Enter or blur
    _settled(page)
    page.get_by_role("button", name="Import pasted text").click()
    page.get_by_text("Imported pasted.rbts").wait_for()
    page.keyboard.press("Escape")  # close the Import popover
    _settled(page)


def _first_run(page, home, tmp_path) -> None:
    _paste_strategy(page)
    page.get_by_role("tab", name="Live").click()
    offer = page.get_by_role("button", name="Start with chart demo")
    offer.wait_for()
    _shot(page, "0-fresh-home")
    clicked = time.monotonic()
    offer.click()

    # the equity chart, candles with the strategy's lines, and the rule strip
    page.wait_for_function(
        "([eq, tk]) => { const e = document.querySelector(eq), t = document.querySelector(tk);"
        " if (!e || !e.data || !t || !t.data) return false; const names = t.data.map(d => d.name);"
        " return t.data.some(d => d.type === 'candlestick') && names.includes('true')"
        " && names.some(n => n && n.startsWith('fast = ')) && e.data.some(d => d.name === 'equity'); }",
        arg=[EQUITY, TICKER], timeout=120_000)
    print(f"charts drawn {time.monotonic() - clicked:.1f} s after the click")
    first = {t["name"]: t for t in _traces(page, TICKER)}
    page.wait_for_function(  # ... and advance by themselves
        "([tk, last]) => { const t = document.querySelector(tk); if (!t || !t.data) return false;"
        " const c = t.data.find(d => d.type === 'candlestick'); return c && String(c.x[c.x.length - 1]) !== last; }",
        arg=[TICKER, first[next(k for k, v in first.items() if v["type"] == "candlestick")]["last"]],
        timeout=120_000)
    names = {t["name"] for t in _traces(page, TICKER)}
    assert {"fast = ema(close, 3, 5m)", "slow = ema(close, 8, 5m)", "rsi(close, 14)", "true"} <= names
    _shot(page, "1-running")

    # a fill explains itself on hover
    page.wait_for_function("(tk) => (document.querySelector(tk)?.data || []).some(d => d.name === 'buys')",
                           arg=TICKER, timeout=180_000)
    _settled(page)
    text = _hover_last_buy(page)
    assert "BUY" in text and "decided at the" in text and "every global and entry rule true (up)" in text

    # an apply marks the version change on the equity chart
    (tmp_path / "v2.rbts").write_text(STRATEGY.replace("ema(close, 8, 5m)", "ema(close, 10, 5m)"))
    applied = _rbts(home, "apply", str(tmp_path / "v2.rbts"))
    assert applied.returncode == 0, applied.stderr
    page.wait_for_function("(eq) => (document.querySelector(eq)?.data || []).some(d => d.name === "
                           "'apply (new version)')", arg=EQUITY, timeout=120_000)
    _shot(page, "3-applied")
    page.locator(".st-key-live_stop_btn button").click()
    page.get_by_text("bot not running").wait_for(timeout=60_000)
