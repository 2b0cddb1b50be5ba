"""No dead ends and no wrong answers: every state that stops texts has a way out on the web, every example and
limit tells the truth, and leaving works on a phone. In Chromium at desktop and phone width, axe-core on each state."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from app.extensions import db
from app.models import User, utcnow
from tests.support.browser import PHONE, assert_accessible, share_session
from tests.support.journeys import refreshed, signed_up_user
from tests.support.polling import wait_until

pytestmark = pytest.mark.browser

NUMBER = "+447400123456"  # a mobile number phonenumbers takes as valid, so codes can go to it


def newest_code(emulator, number: str, after: int = 0) -> str:
    """The newest code texted to the emulated phone, once more than `after` texts have reached it."""
    def code():
        texts = emulator.texts_to(number)
        found = len(texts) > after and re.search(r"\b(\d{6})\b", texts[-1]["text"])
        return found and found.group(1)

    return wait_until(code, seconds=30, interval=0.3, what="a code on the emulated phone")


def signed_in(page, live_app, emulator, sign_in, **person_fields) -> User:
    _, user, session = signed_up_user(emulator, sign_in, "google", phone=NUMBER, **person_fields)
    share_session(page, live_app.url, session)
    return user


def test_after_stop_turn_texts_back_on_texts_a_code_to_the_same_number(
    page, screenshot, live_app, emulator, sign_in, start_worker
):
    start_worker()
    user = signed_in(page, live_app, emulator, sign_in)
    emulator.control("POST", "/phone/reply", **{"from": user.phone, "text": "STOP"})
    wait_until(lambda: refreshed(user).opted_out_at is not None, what="the STOP to reach the account")

    page.goto(live_app.url + "/dashboard")
    stopped = page.get_by_role("alert").filter(has_text="You replied STOP")
    expect(stopped).to_contain_text(user.phone)
    expect(stopped.get_by_role("link", name="Use another number")).to_have_attribute("href", "/phone")
    screenshot(page, "stopped")

    texts_before = len(emulator.texts_to(user.phone))
    stopped.get_by_role("button", name="Turn texts back on").click()
    expect(page).to_have_url(live_app.url + "/phone/code")
    expect(page.locator("main")).to_contain_text(f"We texted a 6-digit code to {user.phone}")
    page.get_by_label("Code").fill(newest_code(emulator, user.phone, after=texts_before))
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(live_app.url + "/dashboard")
    expect(page.get_by_role("alert").filter(has_text="STOP")).to_have_count(0)
    assert refreshed(user).opted_out_at is None


def test_the_same_number_typed_again_after_stop_sends_a_code_instead_of_going_round(
    page, live_app, emulator, sign_in
):
    user = signed_in(page, live_app, emulator, sign_in)
    db.session.execute(update(User).where(User.id == user.id).values(opted_out_at=utcnow()))
    db.session.commit()

    page.goto(live_app.url + "/dashboard")
    page.get_by_role("link", name="Use another number").click()
    page.get_by_label("Mobile number").fill(user.phone)
    page.get_by_role("button", name="Text me a code").click()

    expect(page).to_have_url(live_app.url + "/phone/code")
    expect(page.locator("main")).not_to_contain_text("already verified")


def test_texts_not_getting_through_offer_a_test_text_whose_delivery_clears_the_warning(
    page, screenshot, live_app, emulator, sign_in, start_worker
):
    start_worker()
    user = signed_in(page, live_app, emulator, sign_in)
    db.session.execute(update(User).where(User.id == user.id).values(
        phone_failed_at=utcnow(), phone_failure="Our text was not delivered (failed)"))
    db.session.commit()

    page.goto(live_app.url + "/dashboard")
    failing = page.get_by_role("alert").filter(has_text="not getting through")
    expect(failing.get_by_role("link", name="Use another number")).to_be_visible()
    screenshot(page, "not-getting-through")

    failing.get_by_role("button", name="Send me a test text").click()
    expect(page.get_by_role("status").filter(has_text="We sent a test text")).to_be_visible()
    wait_until(lambda: any("test text you asked for" in text["text"] for text in emulator.texts_to(user.phone)),
               what="the test text on the phone")
    wait_until(lambda: refreshed(user).phone_failed_at is None, what="the receipt to clear the warning")
    page.reload()
    expect(page.get_by_role("alert").filter(has_text="not getting through")).to_have_count(0)
    expect(page.locator("#texts")).to_contain_text("Test text")

    page.get_by_role("link", name="Settings").click()
    assert_accessible(page)


@pytest.mark.parametrize("region, country", [("US", "in the United States"), ("GB", "in the United Kingdom")])
def test_the_phone_hints_own_examples_are_accepted(page, live_app, emulator, sign_in, region, country):
    person = emulator.person(devices=[{"product": "Charge 6", "battery_level": 80}])
    session, _ = sign_in("google", person["id"])
    share_session(page, live_app.url, session)

    page.goto(live_app.url + "/phone")
    page.get_by_label("Country of the number").select_option(region)
    page.get_by_label("Mobile number").fill("not a number")
    page.get_by_role("button", name="Text me a code").click()
    hint = page.locator("#phone-hint")
    expect(hint).to_contain_text(f"as you would dial it {country}")
    at_home, international = re.search(r"like (.+), or with its country code, like (\+[\d\s-]+)\.",
                                       hint.inner_text()).groups()
    assert_accessible(page)

    page.get_by_label("Mobile number").fill(at_home)
    page.get_by_role("button", name="Text me a code").click()
    expect(page).to_have_url(live_app.url + "/phone/code")
    page.get_by_role("link", name="Wrong number?").click()
    page.get_by_label("Mobile number").fill(international)
    page.get_by_role("button", name="Text me a code").click()
    expect(page).to_have_url(live_app.url + "/phone/code")


def test_the_landing_page_leads_everyone_through_google(page, screenshot, live_app):
    page.goto(live_app.url + "/")

    connect = page.locator(".connect")
    expect(connect.get_by_role("link")).to_have_count(1)
    expect(connect.get_by_role("link", name=re.compile("^Connect Google"))).to_contain_text("Fitbit")
    expect(page.get_by_role("link", name=re.compile("Connect Fitbit"))).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Used Battery Text with the old Fitbit sign-in?")
    screenshot(page, "landing")


def test_an_account_without_trackers_says_what_to_do_and_checks_again(
    page, screenshot, live_app, emulator, sign_in, start_worker
):
    start_worker()
    person = emulator.person(devices=[])
    session, _ = sign_in("google", person["id"])
    user = db.session.scalars(select(User).order_by(User.id.desc())).first()
    user.phone, user.phone_verified_at = NUMBER, utcnow()
    db.session.commit()
    share_session(page, live_app.url, session)
    wait_until(lambda: refreshed(user).last_synced_at is not None, what="the first read of the account")

    page.goto(live_app.url + "/dashboard")
    empty = page.locator(".device-none")
    expect(empty).to_contain_text("No tracker on your Google account")
    expect(empty).to_contain_text("Pair the tracker in its app")
    expect(empty).not_to_contain_text("on its way")
    screenshot(page, "no-devices")

    emulator.control("POST", f"/people/{person['id']}/devices", product="Charge 6", battery_level=55)
    empty.get_by_role("button", name="Check now").click()
    expect(page.get_by_role("status").filter(has_text="We are reading your Google account now")).to_be_visible()
    expect(page.locator("#devices")).to_contain_text("Charge 6", timeout=30_000)


def test_waiting_for_a_new_code_is_told_by_the_resend_button_with_a_live_countdown(
    page, screenshot, live_app, emulator, sign_in
):
    person = emulator.person(devices=[{"product": "Charge 6", "battery_level": 80}])
    session, _ = sign_in("google", person["id"])
    share_session(page, live_app.url, session)
    page.clock.install()
    page.goto(live_app.url + "/phone")
    page.get_by_label("Mobile number").fill("07400 123456")
    page.get_by_role("button", name="Text me a code").click()
    expect(page.locator("main")).to_contain_text(re.compile(r"It works until \d\d:\d\d"))

    page.get_by_role("button", name="Send a new code").click()
    wait = page.locator("#resend-status")
    expect(wait).to_contain_text("We sent a code less than a minute ago. You can ask for another in")
    first = wait.inner_text()
    page.clock.fast_forward("00:03")
    expect(wait).not_to_have_text(first)  # it counts down
    expect(page.get_by_label("Code")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("button", name="Send a new code")).to_have_attribute(
        "aria-describedby", re.compile("resend-status"))

    page.get_by_label("Code").fill("12ab")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#code-error")).to_have_text("A code is 6 digits, like the one in our text. Type only the digits.")
    expect(page.get_by_label("Code")).to_have_attribute("aria-describedby", "code-error")
    screenshot(page, "code-errors")
    page.clock.fast_forward("01:05")
    expect(page.get_by_role("status").filter(has_text="You can ask for a new code now.")).to_be_visible()


def test_deleting_the_account_on_a_phone_takes_the_capitalised_word(page, screenshot, live_app, emulator, sign_in):
    user_id = signed_in(page, live_app, emulator, sign_in).id
    page.set_viewport_size(PHONE)
    page.goto(live_app.url + "/account/delete")
    word = page.get_by_label("Type delete to confirm")
    expect(word).to_have_attribute("autocapitalize", "off")
    assert float(word.evaluate("field => getComputedStyle(field).fontSize")[:-2]) >= 16  # iOS zooms below 16 px
    expect(page.get_by_role("link", name="Keep my account")).to_have_attribute("href", "/settings")

    word.fill("remove")
    page.get_by_role("button", name="Delete my account").click()
    expect(word).to_have_attribute("aria-invalid", "true")
    expect(word).to_have_attribute("aria-describedby", "confirm-error")
    expect(page.locator("#confirm-error")).to_have_text("Type the word delete to confirm.")
    screenshot(page, "delete-error")

    page.get_by_label("Type delete to confirm").fill("Delete ")
    page.get_by_role("button", name="Delete my account").click()
    expect(page).to_have_url(live_app.url + "/")
    expect(page.get_by_role("status").first).to_contain_text("Your account and everything we stored about it are deleted")
    db.session.expire_all()
    assert db.session.get(User, user_id) is None
