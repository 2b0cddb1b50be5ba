"""The phone step: the number form, the texted code, its limits, and what verifying starts.

Reading the typed number itself is in tests/unit/test_phone_numbers.py.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select, update

from app.extensions import db, queues
from app.models import MessageStatus, OutgoingMessage, PhoneVerification, User, utcnow
from app.tasks.welcome import Welcome, after_first_reading, send_welcome
from tests.support.factories import make_device, make_user, run_text_jobs, texts_queue


@pytest.fixture
def browser(app, monkeypatch):
    """A signed-in user's browser on the phone pages (CSRF is tested on its own below)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    user = make_user(phone=None)
    client = app.test_client(user=user)
    client.user_id = user.id
    return client


def current(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def texted_code(user_id: int) -> str:
    """The code as the phone received it: read from the newest verification text while it waits to be sent."""
    message = db.session.scalars(
        select(OutgoingMessage)
        .where(OutgoingMessage.user_id == user_id, OutgoingMessage.kind == "verification")
        .order_by(OutgoingMessage.id.desc())
    ).first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def verification(user_id: int) -> PhoneVerification:
    db.session.expire_all()
    return db.session.scalars(select(PhoneVerification).where(PhoneVerification.user_id == user_id)).one()


def a_minute_passes(user_id: int) -> None:
    db.session.execute(
        update(PhoneVerification)
        .where(PhoneVerification.user_id == user_id)
        .values(last_sent_at=utcnow() - timedelta(seconds=61))
    )
    db.session.commit()


def test_the_phone_page_needs_a_signed_in_user(client):
    assert client.get("/phone").status_code in (302, 401)
    assert client.post("/phone/code", data={"code": "123456"}).status_code in (302, 400, 401)


def test_the_phone_page_shows_the_form_and_the_step(browser):
    page = browser.get("/phone").get_data(as_text=True)

    assert 'name="phone"' in page and 'name="region"' in page
    assert '<label for="phone">Mobile number</label>' in page
    assert 'aria-current="step">Phone<' in page
    assert "phone.css" in page


def test_a_form_without_its_csrf_token_is_refused(app):
    user = make_user(phone=None)
    client = app.test_client(user=user)

    answer = client.post("/phone", data={"phone": "07400 123456", "region": "GB"})

    assert answer.status_code == 400
    assert current(user.id).phone is None


def test_a_valid_number_is_stored_and_texted_a_hashed_code(browser):
    answer = browser.post("/phone", data={"phone": "07400 123456", "region": "GB"})

    assert answer.status_code == 302 and answer.headers["Location"].endswith("/phone/code")
    user = current(browser.user_id)
    assert (user.phone, user.phone_verified_at) == ("+447400123456", None)
    code = texted_code(user.id)
    pending = verification(user.id)
    assert code not in pending.code_hash and len(pending.code_hash) == 64
    assert pending.expires_at - pending.created_at == timedelta(minutes=10)
    assert texts_queue().count == 1


def test_an_invalid_number_changes_nothing_and_says_why(browser):
    answer = browser.post("/phone", data={"phone": "020 7946 0000", "region": "GB"})

    assert answer.status_code == 400
    assert "a landline, which cannot receive texts" in answer.get_data(as_text=True)
    assert current(browser.user_id).phone is None
    assert db.session.scalars(select(OutgoingMessage)).all() == []


def test_the_region_the_user_picks_reads_the_number(browser):
    browser.post("/phone", data={"phone": "0412 345 678", "region": "AU"})

    assert current(browser.user_id).phone == "+61412345678"


def test_the_right_code_verifies_the_number_and_starts_the_welcome(browser):
    browser.post("/phone", data={"phone": "07400 123456", "region": "GB"})
    db.session.execute(update(User).values(opted_out_at=utcnow()))
    db.session.commit()

    answer = browser.post("/phone/code", data={"code": texted_code(browser.user_id)})

    assert answer.status_code == 302 and answer.headers["Location"].endswith(("/dashboard", "/"))
    user = current(browser.user_id)
    assert user.phone_verified
    assert user.opted_out_at is None  # verifying again is a fresh opt-in
    assert verification(user.id).verified_at is not None
    assert "send_welcome" in [job.func_name.rsplit(".", 1)[-1] for job in texts_queue().jobs]
    # The welcome waits for a fresh read, asked for now.
    assert user.awaiting_first_reading
    assert queues.redis.hexists("sync:dirty", f"{user.platform.value}:{user.platform_user_id}")


def test_a_code_typed_with_spaces_is_accepted(browser):
    browser.post("/phone", data={"phone": "07400 123456", "region": "GB"})
    code = texted_code(browser.user_id)

    browser.post("/phone/code", data={"code": f" {code[:3]} {code[3:]} "})

    assert current(browser.user_id).phone_verified


def test_an_expired_code_is_refused(browser):
    browser.post("/phone", data={"phone": "07400 123456", "region": "GB"})
    code = texted_code(browser.user_id)
    db.session.execute(update(PhoneVerification).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    answer = browser.post("/phone/code", data={"code": code})

    assert answer.status_code == 400
    assert "expired" in answer.get_data(as_text=True)
    assert not current(browser.user_id).phone_verified


def test_five_wrong_codes_use_up_the_code(browser):
    browser.post("/phone", data={"phone": "07400 123456", "region": "GB"})
    code = texted_code(browser.user_id)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    answers = [browser.post("/phone/code", data={"code": wrong}).get_data(as_text=True) for _ in range(5)]
    after = browser.post("/phone/code", data={"code": code})

    assert "4 tries left" in answers[0] and "1 try left" in answers[3] and "last try" in answers[4]
    assert after.status_code == 400
    assert "Too many wrong codes" in after.get_data(as_text=True)
    assert not current(browser.user_id).phone_verified


def test_a_new_code_is_sent_at_most_once_a_minute(browser):
    browser.post("/phone", data={"phone": "07400 123456", "region": "GB"})
    first_code = texted_code(browser.user_id)

    too_soon = browser.post("/phone/code", data={"resend": "1"})
    assert too_soon.status_code == 429
    assert "less than a minute ago" in too_soon.get_data(as_text=True)

    a_minute_passes(browser.user_id)
    assert browser.post("/phone/code", data={"resend": "1"}).status_code == 302
    second_code = texted_code(browser.user_id)

    assert db.session.scalar(select(db.func.count(OutgoingMessage.id))) == 2
    if second_code != first_code:
        assert browser.post("/phone/code", data={"code": first_code}).status_code == 400
    browser.post("/phone/code", data={"code": second_code})
    assert current(browser.user_id).phone_verified


def test_at_most_five_codes_an_hour_go_to_one_number(browser):
    browser.post("/phone", data={"phone": "07400 123456", "region": "GB"})
    for _ in range(4):
        a_minute_passes(browser.user_id)
        assert browser.post("/phone/code", data={"resend": "1"}).status_code == 302

    a_minute_passes(browser.user_id)
    refused = browser.post("/phone/code", data={"resend": "1"})

    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "We have sent as many codes as we may for now. You can ask for another" in page
    assert 'aria-invalid="true"' not in page  # a wait is not a wrong code
    assert "It works until" in page  # the last code still does
    assert db.session.scalar(select(db.func.count(OutgoingMessage.id))) == 5


def test_the_hourly_limit_on_the_number_form_says_when_and_leaves_the_number_valid(browser):
    browser.post("/phone", data={"phone": "07400 123456", "region": "GB"})
    for _ in range(4):
        a_minute_passes(browser.user_id)
        browser.post("/phone/code", data={"resend": "1"})
    db.session.execute(update(PhoneVerification).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    refused = browser.post("/phone", data={"phone": "07400 123456", "region": "GB"})

    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "You can ask for another" in page and 'id="resend-status"' in page
    assert 'aria-invalid="true"' not in page and "not a valid number" not in page


def test_a_code_with_letters_or_too_few_digits_is_refused_without_using_a_try(browser):
    browser.post("/phone", data={"phone": "07400 123456", "region": "GB"})

    answers = [browser.post("/phone/code", data={"code": typed}) for typed in ("12ab", "12345", "1234567", "")]

    assert {answer.status_code for answer in answers} == {400}
    assert "A code is 6 digits" in answers[0].get_data(as_text=True)
    assert verification(browser.user_id).wrong_attempts == 0
    browser.post("/phone/code", data={"code": texted_code(browser.user_id)})
    assert current(browser.user_id).phone_verified


def test_at_most_ten_codes_an_hour_go_out_for_one_client_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    answers = []
    for n in range(11):
        client = app.test_client(user=make_user(phone=None))
        g.pop("_login_user", None)  # Flask-Login keeps the last user in the test's app context
        answer = client.post("/phone", data={"phone": f"07400 1234{n:02d}", "region": "GB"},
                             environ_base={"REMOTE_ADDR": "203.0.113.9"})
        answers.append(answer.status_code)

    assert answers == [302] * 10 + [429]
    other_address = app.test_client(user=make_user(phone=None))
    g.pop("_login_user", None)
    assert other_address.post("/phone", data={"phone": "07400 999999", "region": "GB"},
                              environ_base={"REMOTE_ADDR": "203.0.113.10"}).status_code == 302


def test_changing_a_verified_number_needs_a_new_code(browser):
    browser.post("/phone", data={"phone": "07400 123456", "region": "GB"})
    browser.post("/phone/code", data={"code": texted_code(browser.user_id)})
    assert current(browser.user_id).phone_verified

    browser.post("/phone", data={"phone": "07400 654321", "region": "GB"})

    user = current(browser.user_id)
    assert (user.phone, user.phone_verified) == ("+447400654321", False)
    browser.post("/phone/code", data={"code": texted_code(user.id)})
    assert current(browser.user_id).phone_verified


def test_the_same_verified_number_again_sends_no_code(browser):
    browser.post("/phone", data={"phone": "07400 123456", "region": "GB"})
    browser.post("/phone/code", data={"code": texted_code(browser.user_id)})

    answer = browser.post("/phone", data={"phone": "+44 7400 123456", "region": "US"})

    assert answer.status_code == 302
    assert db.session.scalar(select(db.func.count(OutgoingMessage.id))) == 1


def test_verifying_texts_a_welcome_with_each_devices_battery(browser, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_OUTBOX_URL", None)
    user = db.session.get(User, browser.user_id)
    make_device(user, "Pixel Watch 3", battery_level=64)
    browser.post("/phone", data={"phone": "07400 123456", "region": "GB"})
    browser.post("/phone/code", data={"code": texted_code(browser.user_id)})
    run_text_jobs()
    after_first_reading(current(browser.user_id))  # what the sync does once it has read the platform
    run_text_jobs()

    texts = db.session.scalars(select(OutgoingMessage).order_by(OutgoingMessage.id)).all()
    assert [(text.kind, text.status) for text in texts] == [
        ("verification", MessageStatus.SUBMITTED),
        ("welcome", MessageStatus.SUBMITTED),
    ]
    assert "Pixel Watch 3 64%" in texts[1].body
    assert re.search(r"\d{6}", texts[0].body) is None  # the code does not outlive its sending


def test_the_welcome_is_not_sent_to_a_number_that_is_no_longer_verified(app):
    user = make_user(verified=False)

    assert send_welcome(user.id) is Welcome.NOT_VERIFIED
    assert db.session.scalars(select(OutgoingMessage)).all() == []


def test_turn_texts_back_on_texts_a_fresh_code_to_the_same_number_and_confirming_ends_the_stop(browser):
    browser.post("/phone", data={"phone": "07400 123456", "region": "GB"})
    browser.post("/phone/code", data={"code": texted_code(browser.user_id)})
    db.session.execute(update(User).values(opted_out_at=utcnow()))
    db.session.commit()

    assert browser.post("/phone/again").headers["Location"].endswith("/phone/code")
    browser.post("/phone/code", data={"code": texted_code(browser.user_id)})

    user = current(browser.user_id)
    assert (user.phone, user.phone_verified, user.opted_out_at) == ("+447400123456", True, None)


def test_a_test_text_goes_once_per_ten_minutes_and_never_after_stop(browser):
    browser.post("/phone", data={"phone": "07400 123456", "region": "GB"})
    browser.post("/phone/code", data={"code": texted_code(browser.user_id)})

    browser.post("/phone/test")
    browser.post("/phone/test")
    db.session.execute(update(User).values(opted_out_at=utcnow()))
    db.session.commit()
    browser.post("/phone/test")

    tests = db.session.scalars(select(OutgoingMessage).where(OutgoingMessage.kind == "test")).all()
    assert [text.body for text in tests] == ["Battery Text: here is the test text you asked for, so our texts reach you. "
                                             "Reply STOP to end."]
