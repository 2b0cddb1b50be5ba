"""The outbox with a real worker: texts reach the emulated phone, and its receipts and refusals come back."""

from __future__ import annotations

from sqlalchemy import func, select

from app.domain.outbox import client_reference
from app.extensions import db
from app.models import MessageStatus, OutgoingMessage, User
from app.tasks.delivery import queue_text
from tests.support.factories import make_user
from tests.support.polling import wait_until

LOW = "Battery low: your Charge 6 is at 15%. Charge it soon so it keeps tracking."


def settled_row(message_id: int, *statuses: MessageStatus):
    def check():
        db.session.expire_all()
        row = db.session.get(OutgoingMessage, message_id)
        return row if row.status in statuses else None

    return check


def test_a_real_worker_delivers_a_text_to_the_emulated_phone_and_records_its_receipt(app, emulator, start_worker):
    user = make_user(phone="+447700900456")
    start_worker()

    message = queue_text(user, "low", "low:worker", LOW)

    row = wait_until(settled_row(message.id, MessageStatus.DELIVERED), what="the text to be delivered")
    received = emulator.texts_to("+447700900456")
    assert [(text["to"], text["text"], text["client_ref"], text["message_id"]) for text in received] == [
        ("447700900456", LOW, client_reference(row), row.provider_message_id)
    ]
    assert row.attempts == 1 and row.submitted_at is not None and row.delivered_at is not None
    assert db.session.scalar(select(func.count(OutgoingMessage.id))) == 1


def test_a_number_whose_texts_fail_is_flagged_once_the_receipt_says_so(app, emulator, start_worker):
    user = make_user(phone="+447700900457")
    emulator.control("POST", "/phone/failing", number="447700900457", mode="failing")
    start_worker()

    message = queue_text(user, "low", "low:failing", LOW)

    wait_until(settled_row(message.id, MessageStatus.FAILED), what="the failed receipt")
    assert db.session.get(User, user.id).phone_failed_at is not None


def test_a_number_the_texting_service_refuses_fails_at_once(app, emulator, start_worker):
    user = make_user(phone="+447700900458")
    emulator.control("POST", "/phone/failing", number="447700900458", mode="invalid")
    start_worker()

    message = queue_text(user, "low", "low:invalid", LOW)

    row = wait_until(settled_row(message.id, MessageStatus.FAILED), what="the refusal")
    assert row.error.startswith("Vonage status 6")
    assert emulator.texts_to("+447700900458") == []
