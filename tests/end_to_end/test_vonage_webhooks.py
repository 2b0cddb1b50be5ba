"""Vonage's webhooks end to end: a reply typed on the emulated phone reaches the live app, a real worker answers."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import User
from app.wording import OPTED_OUT
from tests.support.factories import make_user
from tests.support.polling import wait_until

pytestmark = pytest.mark.usefixtures("texts_only_recorded")


def current(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_stop_typed_on_the_emulated_phone_opts_out_and_is_confirmed_on_the_phone(app, emulator, start_worker):
    """End to end over HTTP: the emulator posts STOP to our live webhook; a real worker sends the confirmation."""
    user = make_user(phone="+447700900789")
    start_worker()

    outcome = emulator.control("POST", "/phone/reply", **{"from": "447700900789", "text": "STOP"})

    assert outcome["status"] == 200
    assert current(user.id).opted_out_at is not None
    confirmation = wait_until(
        lambda: [text for text in emulator.texts_to("+447700900789") if text["text"] == OPTED_OUT],
        what="the opt-out confirmation on the phone",
    )
    assert len(confirmation) == 1
