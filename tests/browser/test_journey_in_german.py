"""The whole journey once in German, in Chromium: the landing page's switch (a form, no script), Google's consent,
the phone and its code, the live dashboard that shows a low battery and the German text that reached the phone,
and the settings. Screenshots `de-landing`, `de-dashboard`, `de-settings` sit beside the English journey's
`landing`, `dashboard`, `settings` (tests/browser/test_journeys.py); axe-core checks each page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import PHONE, code_from_the_phone

pytestmark = pytest.mark.browser


def test_a_german_reader_signs_up_and_sees_a_low_battery_text_in_german(
    page, screenshot, live_app, live_emulator, emulator, start_worker
):
    start_worker()
    person = emulator.person(name="Lena", time_zone="Europe/Berlin",
                             devices=[{"product": "Charge 6", "battery_level": 80}])

    page.goto(live_app.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    with page.expect_navigation():
        page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("button", name="Deutsch")).to_have_attribute("aria-current", "true")
    expect(page.get_by_role("img", name=re.compile("Akku schwach: dein Charge 6 ist bei 15 %"))).to_be_visible()
    screenshot(page, "de-landing")

    page.get_by_role("link", name=re.compile("^Google verbinden")).click()
    page.locator(f"input[name=person][value='{person['id']}']").check()
    page.get_by_role("button", name="Allow").click()  # the emulated Google consent screen is Google's, in English

    expect(page).to_have_url(live_app.url + "/phone")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_label("Handynummer").fill(PHONE)
    page.get_by_role("button", name="Schick mir einen Code").click()
    expect(page).to_have_url(live_app.url + "/phone/code")
    page.get_by_label("Code").fill(code_from_the_phone(page, live_emulator.url))
    page.get_by_role("button", name="Bestätigen").click()

    expect(page).to_have_url(live_app.url + "/dashboard")
    devices = page.locator("#devices")
    expect(devices).to_contain_text("Charge 6")
    expect(page.locator("body[data-live=connected]")).to_have_count(1)

    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=12)
    emulator.sync(person["id"])
    expect(devices).to_contain_text("12", timeout=30_000)
    texts = page.locator("#texts")
    expect(texts).to_contain_text("Akku schwach: dein Charge 6 ist bei 12 %", timeout=30_000)
    screenshot(page, "de-dashboard")

    page.get_by_role("link", name="Einstellungen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Einstellungen")
    expect(page.get_by_role("radio", name="Deutsch", exact=True)).to_be_checked()
    screenshot(page, "de-settings")
