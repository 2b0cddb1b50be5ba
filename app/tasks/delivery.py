"""Text delivery: queue an outbox row's job, and send each row at most once through the configured backend."""

from __future__ import annotations

import enum
import logging
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import LockError
from sqlalchemy import func, select

from app.adapters import locks, metrics, service_status
from app.adapters.sms import AccountRefused, OutgoingText, PermanentSmsError, TransientSmsError, backend_for
from app.domain import alerting, audience, outbox
from app.extensions import db, queues
from app.models import MessageStatus, OutgoingMessage, User, utcnow
from app.models.recipients import Recipient
from app.rules import alerts
from app.texts.alert_texts import alert_text

log = logging.getLogger(__name__)

# After a failure that surely did not send (refused connection, 5xx, throttling): wait, then resend.
RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30))
# After an attempt that may have sent (read timeout, crash mid-send): resend only if no receipt
# carrying our client-ref arrived in this long. Vonage receipts usually arrive within seconds.
RECEIPT_GRACE = timedelta(minutes=10)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
STALLED_AFTER = timedelta(minutes=2)
LOCK_SECONDS = 30
QUEUED = {"status": MessageStatus.QUEUED}
# The texts a push leads to, whose latency from the push the metrics keep.
PUSHED_KINDS = frozenset({"low", "empty"})


class Delivery(str, enum.Enum):
    """What one delivery job did with its row."""

    SUBMITTED = "submitted"
    SETTLED_BY_RECEIPT = "settled by a receipt"
    RETRYING = "retrying"
    HELD_FOR_ACCOUNT = "held: our SMS account was refused"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_DUE = "not due yet"
    ALREADY_SETTLED = "already settled"
    CLAIMED_ELSEWHERE = "claimed elsewhere"


def queue_text(
    user: User, kind: str, key: str, body: str, send_after: datetime | None = None, recipient: Recipient | None = None
) -> OutgoingMessage | None:
    """Write the text to the outbox once per key and start its delivery, so a repeated push never texts twice.

    Only the caller that wrote the row enqueues the delivery; a row whose enqueue was lost
    (Redis down) is picked up by `resume_stalled_texts`.
    """
    message, written = outbox.write_text(user, kind, key, body, send_after, recipient)
    if message is not None and written:
        start_delivery(message)
    return message


def start_delivery(message: OutgoingMessage) -> None:
    """Enqueue the delivery of a row just written: now, or when its quiet hours end."""
    texts = queues.queue("texts")
    if message.send_after is not None and message.send_after > utcnow():
        texts.enqueue_at(message.send_after, deliver_text, message.id)
    else:
        texts.enqueue(deliver_text, message.id)


def queue_alerts(user: User, decision: alerts.AlertDecision) -> None:
    """Queue each decided alert under its episode's key, once for every number that gets that kind of text,
    written for that number: whose tracker it names, in its language."""
    for alert in decision.alerts:
        for recipient in audience.alert_receivers(user, alert.kind):
            key = alerting.text_key(user, alert, recipient.id if recipient is not None else None)
            body = alert_text(alert, audience.owner_named(recipient), audience.language_of(user, recipient))
            queue_text(user, alert.kind, key, body, alert.send_after, recipient)


def deliver_text(message_id: int) -> Delivery:
    """Send one outbox row through the configured backend: gates first, at most one accepted send per row.

    The attempt is claimed in the database before the provider is called (attempts + 1 and a
    resend-not-before time), so a second job for the same row, or a rerun after a crash, finds
    it claimed and waits for a receipt instead of sending again.
    """
    now = utcnow()
    message = db.session.get(OutgoingMessage, message_id)
    if message is None or message.status != MessageStatus.QUEUED:
        return Delivery.ALREADY_SETTLED
    if message.send_after is not None and message.send_after > now:
        return Delivery.NOT_DUE
    busy = LockError(f"texting lock for user {message.user_id} is held too long")
    # One gate check at a time per user, so two alerts cannot both squeeze under the daily cap.
    with locks.held(f"texts:user:{message.user_id}", LOCK_SECONDS, busy):
        outcome, attempt = claim_attempt(message, now)
    if outcome is not None:
        return outcome
    text = OutgoingText(to=message.to, text=message.body, client_ref=outbox.client_reference(message))
    try:
        provider_message_id = backend_for(current_app.config).send(text)
    except AccountRefused as error:
        return hold_for_account(message, attempt, error)
    except TransientSmsError as error:
        return retry_later(message, attempt, error)
    except PermanentSmsError as error:
        return fail(message, attempt, error)
    service_status.credentials_accepted("vonage")
    submitted_at = utcnow()
    submitted = {"status": MessageStatus.SUBMITTED, "provider_message_id": provider_message_id,
                 "submitted_at": submitted_at, "error": None}
    if not outbox.change_if(message, {**QUEUED, "attempts": attempt}, submitted):
        # A receipt matched our client-ref first; keep the id it did not carry.
        outbox.change_if(message, {"provider_message_id": None}, {"provider_message_id": provider_message_id})
        return Delivery.SETTLED_BY_RECEIPT
    log.info("text %s (%s) submitted on attempt %s", message.id, message.kind, attempt)
    observe_push_to_text(message, submitted_at)
    return Delivery.SUBMITTED


def observe_push_to_text(message: OutgoingMessage, submitted_at: datetime) -> None:
    """How long a low or empty text took from the user's latest push to Vonage (a text held for quiet hours
    counts its wait: the histogram's top buckets)."""
    if message.kind not in PUSHED_KINDS or message.user_id is None:
        return
    pushed_at = db.session.scalar(select(User.last_push_at).where(User.id == message.user_id))
    if pushed_at is not None and pushed_at <= message.created_at:
        metrics.observe("battery_push_to_text_seconds", (submitted_at - pushed_at).total_seconds(), kind=message.kind)


def claim_attempt(message: OutgoingMessage, now: datetime) -> tuple[Delivery | None, int]:
    """Under the user's texting lock: settle a row its gates stop, or claim the next attempt for this job."""
    db.session.refresh(message)
    user = db.session.get(User, message.user_id) if message.user_id else None
    if user is not None:
        db.session.refresh(user)
    if message.status != MessageStatus.QUEUED or (message.send_after is not None and message.send_after > now):
        db.session.rollback()
        return Delivery.CLAIMED_ELSEWHERE, 0
    reason = outbox.blocked_reason(message, user, now)
    if reason is None and message.attempts >= MAX_ATTEMPTS:
        reason = f"gave up after {message.attempts} attempts"
        outbox.change_if(message, QUEUED, {"status": MessageStatus.FAILED, "error": reason})
        log.warning("text %s failed: %s", message.id, reason)
        return Delivery.FAILED, 0
    if reason is not None:
        outbox.change_if(message, QUEUED, {"status": MessageStatus.SKIPPED, "error": reason[:300]})
        log.info("text %s (%s) skipped: %s", message.id, message.kind, reason)
        return Delivery.SKIPPED, 0
    attempt = message.attempts + 1
    claimed = outbox.change_if(
        message, {**QUEUED, "attempts": message.attempts},
        {"attempts": attempt, "send_after": now + RECEIPT_GRACE, "error": "sending"},
    )
    return (None if claimed else Delivery.CLAIMED_ELSEWHERE), attempt


def retry_later(message: OutgoingMessage, attempt: int, error: TransientSmsError) -> Delivery:
    now = utcnow()
    expected = {**QUEUED, "attempts": attempt}
    if attempt >= MAX_ATTEMPTS and not error.maybe_sent:
        outbox.change_if(message, expected, {"status": MessageStatus.FAILED, "error": f"gave up: {error.reason}"})
        log.warning("text %s failed after %s attempts: %s", message.id, attempt, error.reason)
        return Delivery.FAILED
    if error.maybe_sent:
        resend_at = now + RECEIPT_GRACE
        note = f"{error.reason}; resending after {resend_at:%H:%M} UTC unless a receipt arrives"
    else:
        resend_at = now + RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]
        note = error.reason
    if outbox.change_if(message, expected, {**QUEUED, "send_after": resend_at, "error": note[:300]}):
        queues.queue("texts").enqueue_at(resend_at, deliver_text, message.id)
    log.warning(
        "text %s attempt %s did not go through (%s); next try at %s", message.id, attempt, error.reason, resend_at
    )
    return Delivery.RETRYING


def hold_for_account(message: OutgoingMessage, attempt: int, error: AccountRefused) -> Delivery:
    """Vonage refused our account, not this text: wait with a growing backoff, and don't count the attempt,
    so the text goes out once the account works again."""
    service_status.credentials_refused("vonage", error.reason)
    resend_at = utcnow() + timedelta(seconds=service_status.retry_delay("vonage"))
    note = f"{error.reason}; our SMS account was refused, trying again at {resend_at:%H:%M} UTC"
    held = {**QUEUED, "attempts": attempt - 1, "send_after": resend_at, "error": note[:300]}
    if outbox.change_if(message, {**QUEUED, "attempts": attempt}, held):
        queues.queue("texts").enqueue_at(resend_at, deliver_text, message.id)
    log.warning("text %s held: Vonage refused our account (%s); next try at %s", message.id, error.reason, resend_at)
    return Delivery.HELD_FOR_ACCOUNT


def fail(message: OutgoingMessage, attempt: int, error: PermanentSmsError) -> Delivery:
    if error.number_problem and message.user_id is not None:
        outbox.flag_phone(message.user_id, message.to, error.reason)
    outbox.change_if(message, {**QUEUED, "attempts": attempt}, {"status": MessageStatus.FAILED, "error": error.reason})
    log.warning("text %s failed for good: %s", message.id, error.reason)
    return Delivery.FAILED


def resume_stalled_texts(now: datetime | None = None) -> int:
    """Re-enqueue rows still queued well after they were due: a lost enqueue or a worker that died mid-send.

    Meant for the scheduled sweep. A second job for a row is harmless: delivery claims the row first.
    """
    now = now or utcnow()
    due = func.coalesce(OutgoingMessage.send_after, OutgoingMessage.created_at)
    stalled = db.session.scalars(
        select(OutgoingMessage.id)
        .where(OutgoingMessage.status == MessageStatus.QUEUED, due <= now - STALLED_AFTER)
        .order_by(OutgoingMessage.id)
        .limit(500)
    ).all()
    texts = queues.queue("texts")
    for message_id in stalled:
        texts.enqueue(deliver_text, message_id)
    return len(stalled)
