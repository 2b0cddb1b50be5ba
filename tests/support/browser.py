"""Debian's Chromium for Playwright, axe-core on every page state, and screenshots at desktop and phone width into
test-artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

from tests.support.paths import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
# Forms answer bad input with 400 (and waits with 429), and the 404 page is one on purpose: Chromium logs them as errors.
EXPECTED_REFUSALS = ("Failed to load resource: the server responded with a status of 4",)


def accessibility_violations(page) -> list[str]:
    """What axe-core (the copy axe-playwright-python ships) finds wrong on the page as it is now, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{rule['id']} ({rule['impact']}): {rule['help']} at {[node['target'] for node in rule['nodes']]}"
            for rule in found]


def assert_accessible(page) -> None:
    """axe-core finds nothing wrong with the page at desktop and at phone width."""
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert accessibility_violations(page) == [], f"axe-core at {size['width']} px on {page.url}"
    page.set_viewport_size(DESKTOP)


def share_session(page, app_url: str, session) -> None:
    """Give the browser the cookies of a `requests` session that signed in (the sign-in has its own tests)."""
    page.context.add_cookies([{"name": cookie.name, "value": cookie.value, "url": app_url} for cookie in session.cookies])


def save_screenshots(page, name: str) -> list[Path]:
    """Save the page at desktop and phone (375 px) width as `<name>-desktop.png` and `<name>-phone.png`, once
    axe-core has found nothing wrong with it at that width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        assert accessibility_violations(page) == [], f"axe-core at {label} width on {page.url}"
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
    page.set_viewport_size(DESKTOP)
    return saved


def record_console_errors(tab, errors: list[str]) -> None:
    """Keep every console error (a CSP violation, a failed script) and uncaught page error but the expected ones."""
    tab.on("console", lambda message: message.type == "error" and not message.text.startswith(EXPECTED_REFUSALS)
           and errors.append(f"{tab.url}: {message.text}"))
    tab.on("pageerror", lambda error: errors.append(f"{tab.url}: {error}"))
