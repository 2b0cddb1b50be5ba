"""Delivery receipts: Vonage tells us which texts reached the phone, and a failing number is flagged."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.domain import outbox
from app.extensions import db
from app.models import MessageStatus, OutgoingMessage, utcnow

log = logging.getLogger(__name__)

# Vonage delivery receipt statuses: the last three are final failures; accepted and buffered are on the way.
RECEIPT_DELIVERED = "delivered"
RECEIPT_FAILED = frozenset({"failed", "rejected", "expired"})
RECEIPT_ON_THE_WAY = frozenset({"accepted", "buffered"})


def record_receipt(
    provider_message_id: str, status: str, error_code: str | None = None, client_ref: str | None = None
) -> MessageStatus | None:
    """Move a row along as Vonage reports on it; a receipt also stops the resend of an uncertain attempt.

    Returns the row's new status, or None when the receipt changed nothing.
    """
    message = find_message(provider_message_id, client_ref)
    if message is None:
        log.info("delivery receipt for an unknown message (%s)", status)
        return None
    if message.status not in (MessageStatus.QUEUED, MessageStatus.SUBMITTED):
        return None
    now = utcnow()
    status = (status or "").lower()
    values: dict = {"provider_message_id": message.provider_message_id or provider_message_id or None}
    if message.submitted_at is None:
        values["submitted_at"] = now
    if status == RECEIPT_DELIVERED:
        values.update(status=MessageStatus.DELIVERED, delivered_at=now, error=None)
    elif status in RECEIPT_FAILED:
        values.update(status=MessageStatus.FAILED, error=f"receipt: {status} (err-code {error_code or '?'})")
    elif status in RECEIPT_ON_THE_WAY:
        values.update(status=MessageStatus.SUBMITTED, error=None)
    else:
        return None
    def flag_the_number() -> None:
        # Delivered: the number works again, clear any earlier failure. Failed: show it on the dashboard.
        if message.user_id is not None and status not in RECEIPT_ON_THE_WAY:
            failure = f"Our text was not delivered ({status})" if status in RECEIPT_FAILED else None
            outbox.flag_phone(message.user_id, message.to, failure)

    if not outbox.change_if(message, {"status": message.status}, values, along_with=flag_the_number):
        return None
    log.info("text %s receipt: %s", message.id, status)
    return values["status"]


def find_message(provider_message_id: str, client_ref: str | None) -> OutgoingMessage | None:
    """By Vonage's message id; else by our client-ref, which finds a row whose send timed out before we
    learnt its id."""
    if provider_message_id:
        message = db.session.scalars(
            select(OutgoingMessage).where(OutgoingMessage.provider_message_id == provider_message_id).limit(1)
        ).first()
        if message is not None:
            return message
    if client_ref:
        return outbox.message_for_reference(client_ref)
    return None
