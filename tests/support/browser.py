"""Debian's Chromium for Playwright, and screenshots at desktop and phone width into test-artifacts/screenshots/."""

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
# Forms answer bad input with 400 on purpose, and there is no favicon: Chromium logs both as console errors.
EXPECTED_REFUSALS = ("Failed to load resource: the server responded with a status of 4",)


def save_screenshots(page, name: str) -> list[Path]:
    """Save the page at desktop and phone (375 px) width as `<name>-desktop.png` and `<name>-phone.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
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
