"""A real headless Chromium (Debian's package) driven by Playwright, and screenshots into test-artifacts/screenshots/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
# Forms answer bad input with 400 on purpose, and there is no favicon: Chromium logs both as console errors.
EXPECTED_REFUSALS = ("Failed to load resource: the server responded with a status of 4",)


@pytest.fixture(scope="session")
def browser():
    """Chromium for the whole session; missing Chromium skips locally but fails in CI, so CI never passes silently."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI must run the browser tests", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser profile (no cookies) per test, at desktop size; any console error (a CSP violation,
    a failed script) fails the test."""
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(20_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda message: message.type == "error" and not message.text.startswith(EXPECTED_REFUSALS)
           and errors.append(f"{tab.url}: {message.text}"))
    tab.on("pageerror", lambda error: errors.append(f"{tab.url}: {error}"))
    yield tab
    context.close()
    assert errors == [], "the browser reported errors"


@pytest.fixture
def screenshot():
    """Save the page at desktop and phone (375 px) width as `<name>-desktop.png` and `<name>-phone.png`."""

    def take(page, name: str) -> list[Path]:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        saved = []
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            path = SCREENSHOTS / f"{name}-{label}.png"
            page.screenshot(path=str(path), full_page=True)
            saved.append(path)
        page.set_viewport_size(DESKTOP)
        return saved

    return take
