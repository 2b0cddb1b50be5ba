"""The live dashboard in German: the live region says what changed in German on the account's clock, and the
"vor 5 Minuten" times keep ticking in German, worded by the browser's Intl as Babel words them on the server."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests.support.browser import share_session
from tests.support.journeys import settled, signed_up_user

pytestmark = pytest.mark.browser

NUMBER = "+447400123456"
ZONE = "Asia/Tokyo"  # far from the machine's clock, so a time in the wrong zone shows


def test_the_live_dashboard_speaks_german_and_its_times_tick_in_german(
    page, screenshot, live_app, emulator, sign_in, start_worker
):
    start_worker()
    person, user, session = signed_up_user(emulator, sign_in, "google", phone=NUMBER, time_zone=ZONE)
    user.language = "de"
    db.session.commit()
    settled(user, reads=1, emulator=emulator, person=person)
    share_session(page, live_app.url, session)
    page.clock.install()
    page.goto(live_app.url + "/dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("body[data-live=connected]")).to_have_count(1)

    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=15)
    emulator.sync(person["id"])

    live = page.locator("#live-status")
    expect(live).to_contain_text("Charge 6 ist jetzt bei 15%, schwach.", timeout=30_000)
    tokyo = datetime.now(ZoneInfo(ZONE))
    clocks = {f"{moment:%H:%M}" for moment in (tokyo - timedelta(minutes=1), tokyo, tokyo + timedelta(minutes=1))}
    assert re.search(r"Aktualisiert um (\d\d:\d\d)\.", live.inner_text()).group(1) in clocks  # the account's clock
    expect(page.locator("#summary")).to_have_text("Bald aufladen: Charge 6.")
    synced = page.locator(".last-sync time").first
    expect(synced).to_have_text("gerade eben")

    page.clock.fast_forward("05:00")

    expect(synced).to_have_text("vor 5 Minuten")
    screenshot(page, "live-dashboard-de")
