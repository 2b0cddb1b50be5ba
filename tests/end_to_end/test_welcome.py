"""Signing in, then confirming the phone: the welcome text carries the levels, on both platforms, even when
the platform is slow; when it cannot be read in time, the welcome goes without them and they follow once."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from app.extensions import db
from app.models import User
from tests.support.journeys import settled
from tests.support.polling import wait_until

PHONE = "+447400123456"
CODE = re.compile(r"code is (\d{6})")


def confirm_phone(browser: requests.Session, app_url: str, emulator) -> None:
    """Type the number, read the code on the emulated phone, type the code: as a person would."""
    form = browser.get(f"{app_url}/phone", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    sent = browser.post(f"{app_url}/phone", data={"phone": PHONE, "region": "GB", "csrf_token": token}, timeout=10,
                        allow_redirects=False)
    assert sent.status_code == 302, sent.text
    text = wait_until(lambda: [m["text"] for m in emulator.texts_to(PHONE) if CODE.search(m["text"])],
                      what="the code text")[-1]
    page = browser.get(f"{app_url}/phone/code", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = browser.post(f"{app_url}/phone/code", data={"code": CODE.search(text).group(1), "csrf_token": token},
                          timeout=10, allow_redirects=False)
    assert answer.status_code == 302, answer.text


def texts_after_the_code(emulator) -> list[str]:
    return [m["text"] for m in emulator.texts_to(PHONE) if not CODE.search(m["text"])]


def signed_in(emulator, sign_in, platform: str):
    person = emulator.person(devices=[{"product": "Charge 6", "battery_level": 64}])
    browser, _ = sign_in(platform, person["id"])
    user = db.session.scalars(select(User).order_by(User.id.desc())).first()
    settled(user, reads=1, emulator=emulator, person=person)
    return person, browser


@pytest.mark.parametrize("platform", ["google", "fitbit"])
def test_a_slow_first_read_still_puts_the_levels_in_the_welcome(emulator, sign_in, start_worker, live_app, platform):
    start_worker(WELCOME_WAIT_SECONDS="30")
    person, browser = signed_in(emulator, sign_in, platform)
    emulator.control("POST", "/faults", **{platform: {"latency_ms": 3000}})
    confirm_phone(browser, live_app.url, emulator)
    (welcome,) = wait_until(lambda: texts_after_the_code(emulator), seconds=40, what="the welcome")
    assert "Battery Text is on" in welcome and "Charge 6 64%" in welcome


@pytest.mark.parametrize("platform", ["google", "fitbit"])
def test_a_platform_that_cannot_be_read_in_time_gets_a_welcome_then_one_first_reading(
    emulator, sign_in, start_worker, live_app, platform
):
    start_worker(WELCOME_WAIT_SECONDS="3")
    person, browser = signed_in(emulator, sign_in, platform)
    emulator.control("POST", "/faults", **{platform: {"error_rate": 1.0}})
    confirm_phone(browser, live_app.url, emulator)
    (welcome,) = wait_until(lambda: texts_after_the_code(emulator), seconds=30, what="the welcome")
    assert "could not read your trackers yet" in welcome and "%" not in welcome
    emulator.control("POST", "/faults", **{platform: {"error_rate": 0.0}})
    emulator.sync(person["id"])
    texts = wait_until(lambda: (found := texts_after_the_code(emulator))[1:] and found, seconds=40,
                       what="the first reading")
    assert texts[1] == "Battery Text, first reading: Charge 6 64%."
    settled_user = db.session.scalars(select(User).order_by(User.id.desc())).first()
    settled(settled_user, reads=2, emulator=emulator, person=person)
    assert len(texts_after_the_code(emulator)) == 2
