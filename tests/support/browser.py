"""Real-browser test helpers: Debian's Chromium, driven by Playwright, against `rbts ui`."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def ensure_chromium() -> None:
    """Install Debian's chromium when missing (as `make browser-deps` does), else fail clearly."""
    if Path(CHROMIUM).exists():
        return
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=False, capture_output=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "chromium"], check=False, capture_output=True)
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing and could not be installed: run `make browser-deps` "
                    "(apt-get install chromium) as root")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_ui(home: Path, env: dict | None = None, timeout: float = 90) -> Iterator[str]:
    """`rbts ui` on ``home`` at a free localhost port; yields its URL once healthy."""
    port = free_port()
    with open(home / "ui.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "rbts.runtime.cli.app", "--home", str(home), "ui",
                                 "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
        url = f"http://localhost:{port}"
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    time.sleep(0.3)
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"rbts ui did not come up: {(home / 'ui.log').read_text()[-2000:]}")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.contextmanager
def browser_page(url: str, height: int = 2600) -> Iterator:
    """A Playwright page of headless Chromium opened on ``url``."""
    ensure_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": height})
            page.set_default_timeout(60_000)
            page.goto(url)
            yield page
        finally:
            browser.close()


def widget_key(name: str) -> str:
    """The CSS class Streamlit gives the element of a widget key (characters other than letters,
    digits, _ and - become -)."""
    return ".st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", name)


def wait_idle(page) -> None:
    """Wait until Streamlit has finished the rerun the last interaction started."""
    page.wait_for_timeout(400)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'"
        " && !document.querySelector('[data-testid=stSkeleton]')", timeout=120_000)

