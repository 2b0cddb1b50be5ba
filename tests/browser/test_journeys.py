"""A person signs up and watches their dashboard in a real browser: landing, consent, phone, code, live updates."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.journeys import signed_up_user
from tests.support.polling import wait_until

pytestmark = pytest.mark.browser

PHONE = "+447400123456"


def code_from_the_phone(page, emulator_url: str) -> str:
    """Open the emulated phone in another tab and read the code, as a person would."""
    phone = page.context.new_page()

    def code():
        phone.goto(f"{emulator_url}/phone/{PHONE}")
        found = re.search(r"\b(\d{6})\b", phone.locator("table").inner_text())
        return found and found.group(1)

    try:
        return wait_until(code, seconds=30, interval=0.5, what="the code text on the phone")
    finally:
        phone.close()


def test_sign_up_then_a_low_battery_sync_shows_on_the_open_dashboard(
    page, screenshot, live_app, live_emulator, emulator, start_worker
):
    start_worker()
    person = emulator.person(name="Ada", time_zone="Europe/London", devices=[{"product": "Charge 6", "battery_level": 80}])

    page.goto(live_app.url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("A text before your tracker dies")
    expect(page.get_by_role("img", name=re.compile("A text message on a phone: Battery low"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("emulator's control panel"))).to_have_attribute(
        "href", live_emulator.url + "/")
    screenshot(page, "landing")

    page.get_by_role("link", name=re.compile("^Connect Google")).click()
    expect(page).to_have_url(re.compile(re.escape(live_emulator.url) + "/google/"))
    page.locator(f"input[name=person][value='{person['id']}']").check()
    page.get_by_role("button", name="Allow").click()

    expect(page).to_have_url(live_app.url + "/phone")
    expect(page.locator(".steps [aria-current=step]")).to_have_text("Phone")
    page.get_by_label("Mobile number").fill("0207 946 0000")
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_role("alert")).to_contain_text("landline")

    page.get_by_label("Mobile number").fill(PHONE)
    page.get_by_role("button", name="Text me a code").click()
    expect(page).to_have_url(live_app.url + "/phone/code")
    expect(page.locator(".steps [aria-current=step]")).to_have_text("Code")
    page.get_by_label("Code").fill(code_from_the_phone(page, live_emulator.url))
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(live_app.url + "/dashboard")
    devices = page.locator("#devices")
    expect(devices).to_contain_text("Charge 6")
    expect(devices).to_contain_text("80%")
    expect(page.locator("body[data-live=connected]")).to_have_count(1)
    page.evaluate("window.stillTheSamePage = true")

    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=12)
    emulator.sync(person["id"])

    expect(devices).to_contain_text("12%", timeout=30_000)
    texts = page.locator("#texts")
    expect(texts).to_contain_text("Battery low: your Charge 6 is at 12%", timeout=30_000)
    expect(texts.locator(".text").first).to_contain_text(re.compile("Delivered|Sent"), timeout=30_000)
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page.locator(".battery-chart").first).to_be_visible()
    screenshot(page, "dashboard")

    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    screenshot(page, "settings")


def test_settings_show_a_plain_message_and_save_nothing_on_bad_input(page, live_app, emulator, sign_in):
    _, user, browser_session = signed_up_user(emulator, sign_in, "google")
    page.context.add_cookies([
        {"name": cookie.name, "value": cookie.value, "url": live_app.url} for cookie in browser_session.cookies
    ])
    page.goto(live_app.url + "/settings")
    page.get_by_label(re.compile("Text me when a battery")).fill("70")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#threshold-error")).to_have_text("Choose a whole number from 10 to 50.")
    expect(page.get_by_label(re.compile("Text me when a battery"))).to_have_attribute("aria-invalid", "true")

    page.get_by_label(re.compile("Text me when a battery")).fill("35")
    page.get_by_label("Pause all battery texts").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").first).to_contain_text("Your settings are saved")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("alert")).to_contain_text("Alerts are paused")
