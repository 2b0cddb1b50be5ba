"""A real headless Chromium (Debian's package) driven by Playwright, and screenshots into test-artifacts/screenshots/."""

from __future__ import annotations

import importlib.util
import os

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, record_console_errors, save_screenshots


@pytest.fixture(scope="session")
def browser():
    """Chromium for the whole session; missing Chromium skips locally but fails in CI, so CI never passes silently."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)"
    elif importlib.util.find_spec("axe_playwright_python") is None:
        reason = "axe-playwright-python (axe-core for Playwright) is missing: it is in requirements-dev.txt"
    if reason:
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
    record_console_errors(tab, errors)
    yield tab
    context.close()
    assert errors == [], "the browser reported errors"


@pytest.fixture
def screenshot():
    """Check the page with axe-core and save it at desktop and phone (375 px) width as `<name>-desktop.png` and
    `<name>-phone.png`."""
    return save_screenshots
