"""Vonage's webhooks end to end: a reply typed on the emulated phone reaches the live app, a real worker answers;
five answers an hour per number; Vonage's own signatures accepted, others refused; unreadable bodies refused."""

from __future__ import annotations

import pytest
import requests

from app.extensions import db
from app.models import User
from app.texts.wording import OPTED_OUT
from sandbox.server import LiveEmulator
from tests.support.factories import make_device, make_user
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


def test_seven_battery_replies_typed_on_the_phone_get_five_answers_and_stop_still_works(app, emulator, start_worker):
    user = make_user(phone="+447700900789")
    make_device(user, "Charge 6", battery_level=42)
    make_user(phone="+447700900790")
    start_worker()

    for _ in range(7):
        assert emulator.control("POST", "/phone/reply", **{"from": "447700900789", "text": "BATTERY"})["status"] == 200
    wait_until(lambda: len(emulator.texts_to("+447700900789")) >= 5, what="five answers on the phone")
    # One worker takes the texts queue in order: once another number's answer is out, every job the seven
    # replies started has run too.
    emulator.control("POST", "/phone/reply", **{"from": "447700900790", "text": "BATTERY"})
    wait_until(lambda: emulator.texts_to("+447700900790"), what="the other number's answer")

    answers = emulator.texts_to("+447700900789")
    assert [text["text"] for text in answers] == ["Battery now: Charge 6 42%."] * 5

    emulator.control("POST", "/phone/reply", **{"from": "447700900789", "text": "STOP"})
    assert current(user.id).opted_out_at is not None
    wait_until(lambda: [text for text in emulator.texts_to("+447700900789") if text["text"] == OPTED_OUT],
               what="the opt-out confirmation past the hourly answers")


@pytest.mark.parametrize(("our_secret", "answered", "opted_out"), [
    ("vonage-signature-secret", 200, True),
    ("a-secret-vonage-does-not-have", 401, False),
])
def test_a_reply_vonage_signed_with_our_secret_is_taken_and_any_other_is_refused(
    app, live_app, monkeypatch, our_secret, answered, opted_out
):
    """Signed by the emulator exactly as Vonage signs (its SDK, with a nonce and the api key among the fields)."""
    monkeypatch.setitem(app.config, "VONAGE_SIGNATURE_SECRET", our_secret)
    user = make_user(phone="+447700900789")
    signing_vonage = {"APP_URL": live_app.url, "VONAGE_API_KEY": "vonage-key",
                      "VONAGE_SIGNATURE_SECRET": "vonage-signature-secret"}

    with LiveEmulator(signing_vonage) as vonage:
        outcome = requests.post(f"{vonage.url}/_control/phone/reply", json={"from": "447700900789", "text": "STOP"},
                                timeout=10).json()

    assert outcome["inbound"]["sig"]
    assert outcome["status"] == answered
    assert (current(user.id).opted_out_at is not None) is opted_out


@pytest.mark.parametrize("path", ["/webhooks/vonage/inbound", "/webhooks/vonage/status"])
def test_a_deeply_nested_json_body_over_http_is_answered_400_and_the_app_keeps_serving(app, live_app, path):
    answer = requests.post(f"{live_app.url}{path}", data="[" * 100_000,
                           headers={"Content-Type": "application/json"}, timeout=10)

    assert answer.status_code == 400
    assert requests.get(f"{live_app.url}/healthz", timeout=10).status_code == 200
