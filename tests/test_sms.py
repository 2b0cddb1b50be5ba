"""The SMS backends at the HTTP boundary: what the Vonage SDK sends, and how each answer lands in the outbox."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl

import pytest
import requests
import responses
from sqlalchemy import update

from app.extensions import db
from app.models import MessageStatus, OutgoingMessage, User, utcnow
from app.outbox import queue_text
from app.sms import (
    OutboxBackend,
    OutgoingText,
    PermanentSmsError,
    TransientSmsError,
    VonageBackend,
    signature_is_valid,
)
from app.tasks.texts import RECEIPT_GRACE, deliver_text, record_receipt
from tests.support.factories import make_user
from tests.support.vonage import vonage_signed

VONAGE_SMS_URL = "https://rest.example-vonage.test/sms/json"
OUTBOX_URL = "http://phone.example.test/vonage/sms/json"


def accepted(message_id: str = "0A0000000123ABCD", client_ref: str | None = None) -> dict:
    message = {"to": "447700900123", "message-id": message_id, "status": "0", "remaining-balance": "3.14",
               "message-price": "0.0333", "network": "23410"}
    if client_ref:
        message["client-ref"] = client_ref
    return {"message-count": "1", "messages": [message]}


def refused(status: str, error_text: str) -> dict:
    return {"message-count": "1", "messages": [{"to": "447700900123", "status": status, "error-text": error_text}]}


@pytest.fixture
def vonage(app, monkeypatch):
    """The app set to send through Vonage, at a host that only `responses` answers."""
    for name, value in {
        "SMS_BACKEND": "vonage",
        "VONAGE_API_KEY": "abc123",
        "VONAGE_API_SECRET": "s3cr3t",
        "VONAGE_FROM": "BatteryText",
        "VONAGE_REST_HOST": "rest.example-vonage.test",
        "VONAGE_API_HOST": "api.example-vonage.test",
        "VONAGE_TIMEOUT_SECONDS": 7,
    }.items():
        monkeypatch.setitem(app.config, name, value)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def sent_fields(call) -> dict[str, str]:
    return dict(parse_qsl(call.request.body))


def low_battery_text(user: User, key: str = "low:1:device-1:1") -> OutgoingMessage:
    return queue_text(user, "low", key, "Battery low: your Charge 6 is at 15%. Charge it soon so it keeps tracking.")


def test_vonage_gets_exactly_one_form_post_with_to_from_text_and_our_key_as_client_ref(app, vonage):
    vonage.post(VONAGE_SMS_URL, json=accepted())
    backend = VonageBackend(app.config)

    message_id = backend.send(OutgoingText(to="+447700900123", text="Hello from the tests", client_ref="low:1:d:1"))

    assert message_id == "0A0000000123ABCD"
    assert len(vonage.calls) == 1
    call = vonage.calls[0]
    assert call.request.method == "POST"
    assert call.request.url == VONAGE_SMS_URL
    assert sent_fields(call) == {
        "to": "447700900123", "from": "BatteryText", "text": "Hello from the tests", "client-ref": "low:1:d:1"
    }
    assert call.request.headers["Authorization"] == "Basic YWJjMTIzOnMzY3IzdA=="  # abc123:s3cr3t
    assert call.request.req_kwargs["timeout"] == 7


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


def test_the_outbox_backend_posts_vonages_request_shape_and_reads_its_answer(app):
    config = {**app.config, "SMS_OUTBOX_URL": OUTBOX_URL, "VONAGE_API_KEY": None}
    with responses.RequestsMock() as mock:
        mock.post(OUTBOX_URL, json=accepted("SANDBOX0001", client_ref="welcome:1"))
        message_id = OutboxBackend(config).send(OutgoingText("+15551230000", "Hi", "welcome:1"))
        fields = sent_fields(mock.calls[0])
    assert message_id == "SANDBOX0001"
    assert fields == {"to": "15551230000", "from": "BatteryText", "text": "Hi", "client-ref": "welcome:1"}


def test_the_outbox_backend_reports_vonage_refusals_like_vonage(app):
    config = {**app.config, "SMS_OUTBOX_URL": OUTBOX_URL}
    with responses.RequestsMock() as mock:
        mock.post(OUTBOX_URL, json=refused("6", "Unroutable message - rejected"))
        with pytest.raises(PermanentSmsError) as refusal:
            OutboxBackend(config).send(OutgoingText("+447700900123", "Hi", "k"))
    assert refusal.value.number_problem


def test_the_outbox_backend_with_no_address_only_records(app):
    with responses.RequestsMock():
        backend = OutboxBackend({**app.config, "SMS_OUTBOX_URL": None})
        message_id = backend.send(OutgoingText("+447700900123", "Hi", "k"))
    assert message_id.startswith("outbox-")


def test_a_read_timeout_may_have_sent_and_a_refused_connection_did_not(app):
    config = {**app.config, "SMS_OUTBOX_URL": OUTBOX_URL}
    with responses.RequestsMock() as mock:
        mock.post(OUTBOX_URL, body=requests.ReadTimeout("read timed out"))
        with pytest.raises(TransientSmsError) as timeout:
            OutboxBackend(config).send(OutgoingText("+447700900123", "Hi", "k"))
    assert timeout.value.maybe_sent
    with responses.RequestsMock() as mock:
        mock.post(OUTBOX_URL, body=requests.ConnectTimeout("connect timed out"))
        with pytest.raises(TransientSmsError) as never_connected:
            OutboxBackend(config).send(OutgoingText("+447700900123", "Hi", "k"))
    assert not never_connected.value.maybe_sent


def test_vonage_webhook_signatures_are_checked_with_hmac_sha256():
    fields = vonage_signed({"msisdn": "447700900123", "text": "STOP", "messageId": "1A"}, "sig-secret")

    assert signature_is_valid(fields, "sig-secret")
    assert not signature_is_valid(fields, "another-secret")
    assert not signature_is_valid({**fields, "text": "START"}, "sig-secret")
    assert not signature_is_valid({name: value for name, value in fields.items() if name != "sig"}, "sig-secret")
