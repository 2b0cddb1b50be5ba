"""The phone and extra-number pages in another language, in Chromium: the wait before another code counts down
in the page's language, and the language of an extra number's texts is chosen in its own name. axe-core on each."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from app.extensions import db
from app.models import User
from app.models.recipients import Recipient
from tests.support.browser import share_session
from tests.support.journeys import signed_up_user

pytestmark = pytest.mark.browser

NUMBER = "+447400123456"


def signed_in_speaking(language: str, page, live_app, emulator, sign_in, phone: str | None = NUMBER) -> User:
    _, user, session = signed_up_user(emulator, sign_in, "google", phone=phone)
    db.session.execute(update(User).where(User.id == user.id).values(language=language))
    db.session.commit()
    share_session(page, live_app.url, session)
    return user


def test_the_wait_for_another_code_counts_down_in_german(page, screenshot, live_app, emulator, sign_in):
    person = emulator.person(devices=[{"product": "Charge 6", "battery_level": 80}])
    session, _ = sign_in("google", person["id"])
    user = db.session.scalars(select(User)).one()
    db.session.execute(update(User).where(User.id == user.id).values(language="de"))
    db.session.commit()
    share_session(page, live_app.url, session)
    page.clock.install()

    page.goto(live_app.url + "/phone")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_label("Handynummer").fill("07400 123456")
    page.get_by_role("button", name="Schick mir einen Code").click()
    expect(page.locator("main")).to_contain_text(re.compile(r"Er gilt bis \d\d:\d\d Uhr\."))

    page.get_by_role("button", name="Neuen Code schicken").click()
    wait = page.locator("#resend-status")
    expect(wait).to_contain_text(re.compile(r"Einen neuen kannst du in \d+ Sekunden anfordern\."))
    first = wait.inner_text()
    page.clock.fast_forward("00:03")
    expect(wait).not_to_have_text(first)
    expect(wait).to_contain_text(re.compile(r"Einen neuen kannst du in \d+ Sekunden anfordern\."))
    screenshot(page, "code-wait-de")
    page.clock.fast_forward("01:05")
    expect(page.get_by_role("status").filter(has_text="Du kannst jetzt einen neuen Code anfordern.")).to_be_visible()


def test_a_spanish_account_adds_a_number_whose_texts_are_in_english(page, screenshot, live_app, emulator, sign_in):
    signed_in_speaking("es", page, live_app, emulator, sign_in)

    page.goto(live_app.url + "/people/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alguien más que recibe los SMS")
    language = page.get_by_label("Idioma de sus SMS")
    expect(language).to_have_value("es")
    language.select_option(label="English")
    page.get_by_label("Tu nombre, como te conoce").fill("Lucía")
    page.get_by_label("Su número de móvil").fill("07400 123457")
    screenshot(page, "recipient-add-es")
    page.get_by_role("button", name="Enviarle un código").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Escribe el código que recibió")
    assert db.session.scalars(select(Recipient.language)).one() == "en"
    page.goto(live_app.url + "/dashboard")
    expect(page.locator("#recipients-section")).to_contain_text("SMS en inglés")
