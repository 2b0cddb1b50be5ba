"""Replies in German and Spanish typed on the emulated phone reach the live app; a real worker answers each number
in its owner's language, and an answer that needs UCS-2 arrives on the phone with every accent."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import User
from tests.support.factories import make_device, make_user
from tests.support.polling import wait_until

pytestmark = pytest.mark.usefixtures("texts_only_recorded")


def current(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_stopp_typed_on_a_german_phone_stops_texts_and_the_german_confirmation_arrives(app, emulator, start_worker):
    user = make_user(phone="+447700900789", language="de")
    start_worker()

    assert emulator.control("POST", "/phone/reply", **{"from": "447700900789", "text": "STOPP"})["status"] == 200

    assert current(user.id).opted_out_at is not None
    (confirmation,) = wait_until(lambda: emulator.texts_to("+447700900789"), what="the German confirmation")
    assert confirmation["text"] == (
        "Battery Text: Du bekommst keine SMS mehr. Antworte START, um sie wieder einzuschalten.")


def test_a_spanish_battery_answer_arrives_as_unicode_with_its_accents(app, emulator, start_worker):
    user = make_user(phone="+447700900788", language="es")
    make_device(user, "Charge 6", battery_level=42)
    start_worker()

    emulator.control("POST", "/phone/reply", **{"from": "447700900788", "text": "Batería"})

    (answer,) = wait_until(lambda: emulator.texts_to("+447700900788"), what="the Spanish levels")
    assert (answer["text"], answer["type"]) == ("Batería ahora: Charge 6 42%.", "unicode")
