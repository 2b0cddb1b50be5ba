"""The SMS backends behind the outbox: how each of Vonage's answers lands in the outbox row and on the user.

What the SDK sends and how each answer is read, with no app, is in tests/unit/test_sms.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import responses
from sqlalchemy import update

from app.extensions import db
from app.models import MessageStatus, OutgoingMessage, User, utcnow
from app.outbox import queue_text
from app.tasks.texts import RECEIPT_GRACE, deliver_text, record_receipt
from tests.support.factories import make_user
from tests.support.vonage import VONAGE_SETTINGS, VONAGE_SMS_URL, accepted, refused, sent_fields


@pytest.fixture
def vonage(app, monkeypatch):
    """The app set to send through Vonage, at a host that only `responses` answers."""
    for name, value in VONAGE_SETTINGS.items():
        monkeypatch.setitem(app.config, name, value)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def low_battery_text(user: User, key: str = "low:1:device-1:1") -> OutgoingMessage:
    return queue_text(user, "low", key, "Battery low: your Charge 6 is at 15%. Charge it soon so it keeps tracking.")


def test_a_delivered_text_records_the_vonage_message_id(app, vonage):
    user = make_user()
    vonage.post(VONAGE_SMS_URL, json=accepted("0B00000000000001"))
    message = low_battery_text(user)

    assert deliver_text(message.id) == "submitted"

    db.session.refresh(message)
    assert message.status == MessageStatus.SUBMITTED
    assert message.provider_message_id == "0B00000000000001"
    assert message.attempts == 1
    assert sent_fields(vonage.calls[0])["client-ref"] == message.idempotency_key


def test_a_timeout_is_retried_once_after_the_receipt_grace_without_a_second_message(app, vonage):
    user = make_user()
    vonage.post(VONAGE_SMS_URL, body=requests.ReadTimeout("read timed out"))
    vonage.post(VONAGE_SMS_URL, json=accepted("0C00000000000002"))
    message = low_battery_text(user)

    assert deliver_text(message.id) == "retrying"
    db.session.refresh(message)
    assert message.status == MessageStatus.QUEUED
    assert message.send_after >= utcnow() + RECEIPT_GRACE - timedelta(minutes=1)
    assert deliver_text(message.id) == "not due yet"
    assert len(vonage.calls) == 1

    # The grace period passes with no receipt carrying our client-ref: Vonage never took it.
    db.session.execute(update(OutgoingMessage).values(send_after=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert deliver_text(message.id) == "submitted"
    assert deliver_text(message.id) == "already settled"

    assert len(vonage.calls) == 2
    db.session.refresh(message)
    assert message.status == MessageStatus.SUBMITTED
    assert message.provider_message_id == "0C00000000000002"
    assert message.attempts == 2


def test_a_receipt_after_a_timeout_shows_vonage_took_the_text_so_it_is_not_sent_again(app, vonage):
    user = make_user()
    vonage.post(VONAGE_SMS_URL, body=requests.ReadTimeout("read timed out"))
    message = low_battery_text(user)
    deliver_text(message.id)

    record_receipt("0D00000000000003", "delivered", "0", message.idempotency_key)
    db.session.execute(update(OutgoingMessage).values(send_after=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    assert deliver_text(message.id) == "already settled"
    assert len(vonage.calls) == 1
    db.session.refresh(message)
    assert message.status == MessageStatus.DELIVERED
    assert message.provider_message_id == "0D00000000000003"


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 500},
        {"status": 503},
        {"status": 429},
        {"json": refused("1", "Throttled")},
        {"body": requests.ConnectionError("Failed to establish a new connection: [Errno 111] Connection refused")},
    ],
    ids=["500", "503", "429", "throttled", "refused-connection"],
)
def test_a_failure_vonage_surely_did_not_send_is_retried_soon_with_backoff(app, vonage, answer):
    user = make_user()
    vonage.post(VONAGE_SMS_URL, **answer)
    message = low_battery_text(user)

    assert deliver_text(message.id) == "retrying"

    db.session.refresh(message)
    assert message.status == MessageStatus.QUEUED
    assert message.attempts == 1
    assert utcnow() + timedelta(seconds=20) < message.send_after < utcnow() + timedelta(seconds=40)
    assert db.session.get(User, user.id).phone_failed_at is None


@pytest.mark.parametrize(
    ("status", "error_text"),
    [("6", "Unroutable message - rejected"), ("7", "Number barred"), ("3", "Invalid to address")],
)
def test_a_number_vonage_will_not_text_fails_the_row_and_flags_the_phone(app, vonage, status, error_text):
    user = make_user()
    vonage.post(VONAGE_SMS_URL, json=refused(status, error_text))
    message = low_battery_text(user)

    assert deliver_text(message.id) == "failed"
    assert deliver_text(message.id) == "already settled"

    assert len(vonage.calls) == 1
    db.session.refresh(message)
    assert message.status == MessageStatus.FAILED
    assert message.error == f"Vonage status {status}: {error_text}"
    user = db.session.get(User, user.id)
    assert user.phone_failed_at is not None
    assert error_text in user.phone_failure


def test_bad_credentials_fail_the_row_without_blaming_the_phone(app, vonage):
    user = make_user()
    vonage.post(VONAGE_SMS_URL, json=refused("4", "Bad Credentials"))
    message = low_battery_text(user)

    assert deliver_text(message.id) == "failed"

    assert db.session.get(OutgoingMessage, message.id).status == MessageStatus.FAILED
    assert db.session.get(User, user.id).phone_failed_at is None
