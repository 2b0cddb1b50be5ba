"""Foresight on the dashboard: how long each tracker lasts and its expected drain on the chart, updating live as
readings arrive; the per-tracker and pause settings. Chromium at desktop and phone width, axe-core on each state."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from app.tasks.sync import request_sync
from tests.support.browser import share_session
from tests.support.journeys import settled, signed_up_user

pytestmark = pytest.mark.browser


def test_a_card_says_how_long_is_left_and_draws_the_expected_drain_live(
    app, page, screenshot, live_app, emulator, sign_in, start_worker
):
    start_worker()
    person, user, session = signed_up_user(emulator, sign_in, "google", level=46)
    settled(user, reads=1, emulator=emulator, person=person)
    share_session(page, live_app.url, session)
    page.goto(live_app.url + "/dashboard")
    expect(page.locator("body[data-live=connected]")).to_have_count(1)
    outlook = page.locator(".device .outlook")
    expect(outlook).to_have_text("Not enough history yet to say how long it lasts.")
    expect(page.locator(".battery-chart .expected")).to_have_count(0)
    page.evaluate("window.stillTheSamePage = true")

    # The day before, as the platform reports it late: 100 % less 2 % an hour, synced every three hours.
    device_id = person["devices"][0]["id"]
    now = datetime.now(UTC)
    for step in range(9):
        emulator.set_device(person["id"], device_id, battery_level=100 - 6 * step,
                            last_sync=(now - timedelta(hours=27 - 3 * step)).isoformat())
        request_sync("google", user.platform_user_id)
        settled(user, reads=2 + step, emulator=emulator, person=person)
    emulator.set_device(person["id"], device_id, battery_level=45, last_sync=datetime.now(UTC).isoformat())
    request_sync("google", user.platform_user_id)
    settled(user, reads=11, emulator=emulator, person=person)

    expect(outlook).to_have_text(re.compile(r"About \d+ hours left"), timeout=30_000)
    hours = int(re.search(r"\d+", outlook.inner_text()).group())
    assert 18 <= hours <= 28  # 45 % at about 2 % an hour, less by night
    expect(page.locator(".battery-chart .expected")).to_have_count(1)
    expect(page.locator(".chart figcaption")).to_contain_text("the dotted one the expected drain")
    assert page.evaluate("window.stillTheSamePage") is True  # updated live, not reloaded
    screenshot(page, "foresight-time-left")


def test_tracker_settings_and_a_timed_pause_in_the_settings(page, screenshot, live_app, emulator, sign_in,
                                                             start_worker):
    start_worker()
    person, user, session = signed_up_user(emulator, sign_in, "google", level=60)
    settled(user, reads=1, emulator=emulator, person=person)
    share_session(page, live_app.url, session)
    page.goto(live_app.url + "/settings")
    expect(page.get_by_label("Remind me to charge")).to_be_checked()
    expect(page.get_by_label("Reminder time")).to_have_value("20:00")
    page.get_by_label("Charge 6: text me at or below (%)").fill("35")
    page.get_by_label("Mute Charge 6").check()
    page.get_by_label("Pause for a day").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Your settings are saved")).to_be_visible()
    expect(page.get_by_label("Charge 6: text me at or below (%)")).to_have_value("35")
    expect(page.get_by_label("Mute Charge 6")).to_be_checked()
    expect(page.get_by_label(re.compile(r"^Paused until "))).to_be_checked()
    screenshot(page, "foresight-settings")

    page.get_by_label("Charge 6: text me at or below (%)").fill("5")
    page.get_by_role("button", name="Save settings").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("For Charge 6, choose a whole number from 10 to 50")
    screenshot(page, "foresight-settings-error")

    page.goto(live_app.url + "/dashboard")
    expect(page.get_by_role("alert").filter(has_text=re.compile(r"Alerts are paused until \w{3} \d+ \w{3}, \d\d:\d\d"))
           ).to_be_visible()
    expect(page.locator(".device .muted-note")).to_have_text("Muted: no texts about it.")
