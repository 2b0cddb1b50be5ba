"""The dashboard tells the truth, live, in order of urgency: banners and times update by themselves, the live
region says what changed, cards come most urgent first. In Chromium at desktop and phone width, axe-core on each state."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import User, utcnow
from tests.support.browser import share_session
from tests.support.journeys import refreshed, settled, signed_up_user
from tests.support.polling import wait_until

pytestmark = pytest.mark.browser

NUMBER = "+447400123456"
ZONE = "Asia/Tokyo"  # far from the machine's clock, so a time in the wrong zone shows


def test_banners_and_readings_update_live_and_the_live_region_says_what_changed(
    page, screenshot, live_app, emulator, sign_in, start_worker
):
    start_worker()
    person, user, session = signed_up_user(emulator, sign_in, "google", phone=NUMBER, time_zone=ZONE)
    settled(user, reads=1, emulator=emulator, person=person)
    share_session(page, live_app.url, session)
    page.goto(live_app.url + "/dashboard")
    expect(page.locator("body[data-live=connected]")).to_have_count(1)
    page.evaluate("window.stillTheSamePage = true")

    emulator.control("POST", "/phone/reply", **{"from": NUMBER, "text": "STOP"})
    expect(page.get_by_role("alert").filter(has_text="You replied STOP")).to_be_visible(timeout=30_000)
    expect(page.locator("#texts")).to_contain_text("You replied STOP", timeout=30_000)

    page.evaluate("document.getElementById('banners').dataset.kept = 'yes'")
    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=15)
    emulator.sync(person["id"])
    live = page.locator("#live-status")
    expect(live).to_contain_text("Charge 6 is now 15%, low.", timeout=30_000)
    tokyo = datetime.now(ZoneInfo(ZONE))
    clocks = {f"{moment:%H:%M}" for moment in (tokyo - timedelta(minutes=1), tokyo, tokyo + timedelta(minutes=1))}
    assert re.search(r"Updated at (\d\d:\d\d)\.", live.inner_text()).group(1) in clocks  # the account's clock
    expect(page.locator("#summary")).to_have_text("Charge your Charge 6 soon.")
    assert page.evaluate("document.getElementById('banners').dataset.kept") == "yes"  # unchanged, not replaced
    assert page.evaluate("window.stillTheSamePage") is True
    screenshot(page, "stopped-live")


def test_a_pause_chosen_on_another_screen_shows_its_banner_live_and_turning_texts_back_on_clears_it(
    page, live_app, emulator, sign_in, start_worker
):
    start_worker()
    person, user, session = signed_up_user(emulator, sign_in, "google", phone=NUMBER)
    settled(user, reads=1, emulator=emulator, person=person)
    share_session(page, live_app.url, session)
    page.goto(live_app.url + "/dashboard")
    expect(page.locator("body[data-live=connected]")).to_have_count(1)
    page.evaluate("window.stillTheSamePage = true")
    paused = page.get_by_role("alert").filter(has_text="Alerts are paused")
    expect(paused).to_have_count(0)

    settings = page.context.new_page()  # the same account on another screen
    settings.goto(live_app.url + "/settings")
    settings.get_by_label("Pause all battery texts until I turn them back on").check()
    settings.get_by_role("button", name="Save settings").click()

    expect(paused).to_be_visible(timeout=15_000)
    settings.goto(live_app.url + "/dashboard")
    settings.get_by_role("button", name="Turn them back on").click()
    expect(paused).to_have_count(0, timeout=15_000)
    assert page.evaluate("window.stillTheSamePage") is True


def test_a_timed_pause_banner_goes_by_itself_when_the_pause_ends(page, live_app, emulator, sign_in, start_worker):
    start_worker()
    person, user, session = signed_up_user(emulator, sign_in, "google", phone=NUMBER)
    settled(user, reads=1, emulator=emulator, person=person)
    user = refreshed(user)
    user.paused_until = utcnow() + timedelta(seconds=4)
    db.session.commit()
    share_session(page, live_app.url, session)
    page.goto(live_app.url + "/dashboard")
    paused = page.get_by_role("alert").filter(has_text="Alerts are paused until")
    expect(paused).to_be_visible()

    # No event says a pause has ended: the page fetches its banners again when the banner says it ends.
    expect(paused).to_have_count(0, timeout=15_000)


def test_relative_times_keep_ticking(page, live_app, emulator, sign_in, start_worker):
    start_worker()
    person, user, session = signed_up_user(emulator, sign_in, "google", phone=NUMBER)
    settled(user, reads=1, emulator=emulator, person=person)
    share_session(page, live_app.url, session)
    page.clock.install()
    page.goto(live_app.url + "/dashboard")
    synced = page.locator(".last-sync time").first
    expect(synced).to_have_text("just now")

    page.clock.fast_forward("05:00")

    expect(synced).to_have_text("5 minutes ago")


def test_cards_come_most_urgent_first_with_a_summary_and_a_silent_tracker_says_so(
    page, screenshot, live_app, emulator, sign_in, start_worker
):
    start_worker()
    person = emulator.person(time_zone="Europe/London", devices=[
        {"product": "Inspire 3", "battery_level": 90},
        {"product": "Sense 2", "battery_level": 70, "last_sync_days_ago": 3},
        {"product": "Charge 6", "battery_level": 15},
        {"product": "Pixel Watch 3", "battery_level": 0},
    ])
    session, _ = sign_in("google", person["id"])
    user = db.session.scalars(db.select(User).order_by(User.id.desc())).first()
    user.phone, user.phone_verified_at = NUMBER, db.func.now()
    db.session.commit()
    wait_until(lambda: len(refreshed(user).devices) == 4, what="the four trackers to be read")
    share_session(page, live_app.url, session)

    page.goto(live_app.url + "/dashboard")

    expect(page.locator(".device-name")).to_have_text(["Pixel Watch 3", "Charge 6", "Sense 2", "Inspire 3"])
    expect(page.locator("#summary")).to_have_text(
        "Charge your Pixel Watch 3 now; your Charge 6 soon; check your Sense 2: not synced lately.")
    expect(page.locator(".device-empty .urgency")).to_have_text("Empty")
    expect(page.locator(".device-low .urgency")).to_have_text("Low")
    expect(page.locator(".device-silent")).to_contain_text("Not synced for 3 days — charge it and open its app.")
    screenshot(page, "urgent-and-silent")
