"""The SMS backends behind the outbox: how each of Vonage's answers lands in the outbox row and on the user, and
what a refusal of our own Vonage account does (holds the text, reports Vonage as refusing, resumes by itself).

What the SDK sends and how each answer is read, with no app, is in tests/unit/test_sms.py.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
import requests
import responses
from rq.registry import ScheduledJobRegistry
from sqlalchemy import update

from app.adapters import service_status
from app.domain.outbox import client_reference
from app.extensions import db
from app.models import MessageStatus, OutgoingMessage, User, utcnow
from app.tasks.delivery import RECEIPT_GRACE, Delivery, deliver_text, queue_text
from app.tasks.receipts import record_receipt
from tests.support.factories import make_user, texts_queue
from tests.support.vonage import VONAGE_SETTINGS, VONAGE_SMS_URL, accepted, refused, sent_fields


@pytest.fixture
def vonage(app, monkeypatch):
    """The app set to send through Vonage, at a host that only `responses` answers."""
    for name, value in VONAGE_SETTINGS.items():
        monkeypatch.setitem(app.config, name, value)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


LOW = "Battery low: your Charge 6 is at 15%. Charge it soon so it keeps tracking."


def low_battery_text(user: User, key: str = "low:1:device-1:1") -> OutgoingMessage:
    return queue_text(user, "low", key, LOW)


def row(message: OutgoingMessage) -> OutgoingMessage:
    db.session.expire_all()
    return db.session.get(OutgoingMessage, message.id)


def due_now(message: OutgoingMessage) -> None:
    """Time passes until the row's next try is due, as the scheduled job would find it."""
    db.session.execute(
        update(OutgoingMessage).where(OutgoingMessage.id == message.id).values(send_after=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def scheduled_deliveries() -> list[tuple[tuple, datetime]]:
    """The delivery jobs waiting in RQ's schedule: their arguments and when they are due."""
    registry = ScheduledJobRegistry(queue=texts_queue())
    jobs = [texts_queue().fetch_job(job_id) for job_id in registry.get_job_ids()]
    return [(job.args, registry.get_scheduled_time(job)) for job in jobs if job.func_name.endswith(".deliver_text")]


def health(client) -> tuple[int, dict]:
    answer = client.get("/healthz")
    return answer.status_code, answer.get_json()


def test_a_delivered_text_records_the_vonage_message_id(app, vonage):
    user = make_user()
    vonage.post(VONAGE_SMS_URL, json=accepted("0B00000000000001"))
    message = low_battery_text(user)

    assert deliver_text(message.id) == Delivery.SUBMITTED

    db.session.refresh(message)
    assert message.status == MessageStatus.SUBMITTED
    assert message.provider_message_id == "0B00000000000001"
    assert message.attempts == 1
    assert sent_fields(vonage.calls[0])["client-ref"] == client_reference(message)


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

    record_receipt("0D00000000000003", "delivered", "0", client_reference(message))
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
        {"json": refused("5", "Internal Error")},
        {"body": requests.ConnectionError("Failed to establish a new connection: [Errno 111] Connection refused")},
    ],
    ids=["500", "503", "internal-error", "refused-connection"],
)
def test_a_failure_vonage_surely_did_not_send_is_retried_soon_with_backoff(app, vonage, answer):
    user = make_user()
    vonage.post(VONAGE_SMS_URL, **answer)
    message = low_battery_text(user)

    tried_from = utcnow()
    assert deliver_text(message.id) == Delivery.RETRYING
    tried_until = utcnow()

    db.session.refresh(message)
    assert message.status == MessageStatus.QUEUED
    assert message.attempts == 1  # counted: five of these and the text gives up
    # Tried again 30 s after this try: bracketed by the clock around the try, so a slow machine cannot fail it.
    assert tried_from + timedelta(seconds=30) <= message.send_after <= tried_until + timedelta(seconds=30)
    assert db.session.get(User, user.id).phone_failed_at is None
    assert service_status.refused_services() == []


@pytest.mark.parametrize(
    ("status", "error_text"),
    [
        ("3", "Invalid to address"),
        ("6", "Unroutable message - rejected"),
        ("7", "Number barred"),
        ("29", "Non-Whitelisted Destination"),
        ("33", "Number de-activated"),
    ],
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


@pytest.mark.parametrize(
    "answer",
    [
        {"json": refused("2", "Missing to param")},
        {"json": refused("12", "Message too long")},
        {"status": 400},
        {"status": 404},
    ],
    ids=["missing-params", "too-long", "http-400", "http-404"],
)
def test_a_refusal_of_this_request_fails_the_row_without_blaming_the_phone(app, vonage, answer):
    user = make_user()
    vonage.post(VONAGE_SMS_URL, **answer)
    message = low_battery_text(user)

    assert deliver_text(message.id) == Delivery.FAILED
    assert deliver_text(message.id) == Delivery.ALREADY_SETTLED

    assert len(vonage.calls) == 1
    assert row(message).status == MessageStatus.FAILED
    assert db.session.get(User, user.id).phone_failed_at is None
    assert service_status.refused_services() == []


# Vonage refusing *our account*, never the number or the text: each status and HTTP code that says so.
ACCOUNT_REFUSALS = [
    pytest.param({"json": refused("1", "Throttled")}, id="1-throttled"),
    pytest.param({"json": refused("4", "Bad Credentials")}, id="4-bad-credentials"),
    pytest.param({"json": refused("8", "Partner account barred")}, id="8-account-barred"),
    pytest.param({"json": refused("9", "Partner quota violation")}, id="9-out-of-credit"),
    pytest.param({"json": refused("10", "Too many existing binds")}, id="10-too-many-binds"),
    pytest.param({"json": refused("11", "Account not enabled for HTTP")}, id="11-http-not-enabled"),
    pytest.param({"json": refused("14", "Invalid Signature")}, id="14-invalid-signature"),
    pytest.param({"json": refused("15", "Invalid sender address")}, id="15-sender-refused"),
    pytest.param({"json": refused("32", "Signature and API secret disallowed")}, id="32-signature-and-secret"),
    pytest.param({"status": 401, "json": {"type": "unauthorized"}}, id="http-401"),
    pytest.param({"status": 403, "json": {"type": "forbidden"}}, id="http-403"),
    pytest.param({"status": 429, "json": {"type": "throttled"}}, id="http-429"),
]


@pytest.mark.parametrize("refusal", ACCOUNT_REFUSALS)
def test_a_refused_vonage_account_holds_the_text_uncounted_and_it_goes_out_once_when_vonage_accepts_again(
    app, client, vonage, refusal
):
    user = make_user()
    vonage.post(VONAGE_SMS_URL, **refusal)
    vonage.post(VONAGE_SMS_URL, json=accepted("0E00000000000005"))
    message = low_battery_text(user)
    before = utcnow()

    assert deliver_text(message.id) == Delivery.HELD_FOR_ACCOUNT

    held = row(message)
    assert held.status == MessageStatus.QUEUED
    assert held.attempts == 0  # the refusal was not this text's: it never runs out of tries
    first_wait = timedelta(seconds=app.config["REFUSED_RETRY_SECONDS"])
    assert before + first_wait <= held.send_after <= utcnow() + first_wait
    assert "our SMS account was refused" in held.error
    assert ((message.id,), held.send_after.replace(microsecond=0)) in [
        (args, due.replace(microsecond=0)) for args, due in scheduled_deliveries()
    ]
    assert db.session.get(User, user.id).phone_failed_at is None
    assert service_status.refused_services() == ["vonage"]
    assert health(client) == (503, {"status": "degraded", "database": "ok", "redis": "ok",
                                     "vonage_credentials": "refused"})

    # The account works again; the scheduled job comes due.
    due_now(message)
    assert deliver_text(message.id) == Delivery.SUBMITTED
    assert deliver_text(message.id) == Delivery.ALREADY_SETTLED

    assert len(vonage.calls) == 2
    sent = row(message)
    assert sent.status == MessageStatus.SUBMITTED
    assert sent.provider_message_id == "0E00000000000005"
    assert sent.attempts == 1
    assert sent.error is None
    assert service_status.refused_services() == []
    assert health(client) == (200, {"status": "ok", "database": "ok", "redis": "ok"})


def test_a_text_held_through_more_refusals_than_a_text_has_tries_still_goes_out(app, vonage):
    user = make_user()
    for _ in range(7):
        vonage.post(VONAGE_SMS_URL, json=refused("9", "Partner quota violation"))
    vonage.post(VONAGE_SMS_URL, json=accepted("0F00000000000006"))
    message = low_battery_text(user)

    for _ in range(7):
        assert deliver_text(message.id) == Delivery.HELD_FOR_ACCOUNT
        due_now(message)
    assert deliver_text(message.id) == Delivery.SUBMITTED

    assert len(vonage.calls) == 8
    assert row(message).status == MessageStatus.SUBMITTED


def test_a_refusing_vonage_account_logs_one_error_a_minute_not_one_per_text(app, vonage, caplog):
    user = make_user()
    vonage.post(VONAGE_SMS_URL, json=refused("4", "Bad Credentials"))
    first = low_battery_text(user, "low:1:device-1:1")
    second = low_battery_text(user, "low:1:device-2:1")

    with caplog.at_level(logging.INFO):
        assert deliver_text(first.id) == Delivery.HELD_FOR_ACCOUNT
        assert deliver_text(second.id) == Delivery.HELD_FOR_ACCOUNT

    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "vonage" in errors[0].getMessage()
    assert LOW not in caplog.text
    assert VONAGE_SETTINGS["VONAGE_API_SECRET"] not in caplog.text
