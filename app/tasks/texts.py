"""Text jobs: deliver an outbox row exactly once, record Vonage's receipts, answer replies, send the welcome."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import LockError
from sqlalchemy import func, select, update

from app import live, outbox, wording
from app.extensions import db, queues
from app.models import MessageStatus, OutgoingMessage, User, utcnow
from app.sms import OutgoingText, PermanentSmsError, TransientSmsError, backend_for

log = logging.getLogger(__name__)

# After a failure that surely did not send (refused connection, 5xx, throttling): wait, then resend.
RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30))
# After an attempt that may have sent (read timeout, crash mid-send): resend only if no receipt
# carrying our client-ref arrived in this long. Vonage receipts usually arrive within seconds.
RECEIPT_GRACE = timedelta(minutes=10)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
STALLED_AFTER = timedelta(minutes=2)
LOCK_SECONDS = 30

# Vonage delivery receipt statuses: the last three are final failures; accepted and buffered are on the way.
RECEIPT_DELIVERED = "delivered"
RECEIPT_FAILED = frozenset({"failed", "rejected", "expired"})
RECEIPT_ON_THE_WAY = frozenset({"accepted", "buffered"})


def deliver_text(message_id: int) -> str:
    """Send one outbox row through the configured backend: gates first, at most one accepted send per row.

    The attempt is claimed in the database before the provider is called (attempts + 1 and a
    resend-not-before time), so a second job for the same row, or a rerun after a crash, finds
    it claimed and waits for a receipt instead of sending again.
    """
    now = utcnow()
    message = db.session.get(OutgoingMessage, message_id)
    if message is None or message.status != MessageStatus.QUEUED:
        return "already settled"
    if message.send_after is not None and message.send_after > now:
        return "not due yet"
    with texting_lock(message.user_id):
        db.session.refresh(message)
        user = db.session.get(User, message.user_id) if message.user_id else None
        if user is not None:
            db.session.refresh(user)
        if message.status != MessageStatus.QUEUED or (message.send_after is not None and message.send_after > now):
            db.session.rollback()
            return "claimed elsewhere"
        reason = outbox.blocked_reason(message, user, now)
        if reason is None and message.attempts >= MAX_ATTEMPTS:
            reason = f"gave up after {message.attempts} attempts"
            settle(message, MessageStatus.FAILED, error=reason)
            db.session.commit()
            announce(message.user_id, message.id, MessageStatus.FAILED)
            log.warning("text %s failed: %s", message.id, reason)
            return "failed"
        if reason is not None:
            settle(message, MessageStatus.SKIPPED, error=reason)
            db.session.commit()
            announce(message.user_id, message.id, MessageStatus.SKIPPED)
            log.info("text %s (%s) skipped: %s", message.id, message.kind, reason)
            return "skipped"
        attempt = message.attempts + 1
        claimed = db.session.execute(
            update(OutgoingMessage)
            .where(
                OutgoingMessage.id == message.id,
                OutgoingMessage.status == MessageStatus.QUEUED,
                OutgoingMessage.attempts == message.attempts,
            )
            .values(attempts=attempt, send_after=now + RECEIPT_GRACE, error="sending")
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    if not claimed:
        return "claimed elsewhere"
    text = OutgoingText(to=message.to, text=message.body, client_ref=message.idempotency_key)
    try:
        provider_message_id = backend_for(current_app.config).send(text)
    except TransientSmsError as error:
        return retry_later(message, attempt, error)
    except PermanentSmsError as error:
        return fail(message, attempt, error)
    settled = move_on(
        message,
        attempt,
        status=MessageStatus.SUBMITTED,
        provider_message_id=provider_message_id,
        submitted_at=utcnow(),
        error=None,
    )
    log.info("text %s (%s) submitted on attempt %s", message.id, message.kind, attempt)
    return "submitted" if settled else "settled by a receipt"


def retry_later(message: OutgoingMessage, attempt: int, error: TransientSmsError) -> str:
    now = utcnow()
    if attempt >= MAX_ATTEMPTS and not error.maybe_sent:
        move_on(message, attempt, status=MessageStatus.FAILED, error=f"gave up: {error.reason}")
        log.warning("text %s failed after %s attempts: %s", message.id, attempt, error.reason)
        return "failed"
    if error.maybe_sent:
        resend_at = now + RECEIPT_GRACE
        note = f"{error.reason}; resending after {resend_at:%H:%M} UTC unless a receipt arrives"
    else:
        resend_at = now + RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]
        note = error.reason
    if move_on(message, attempt, status=MessageStatus.QUEUED, send_after=resend_at, error=note[:300]):
        queues.queue("texts").enqueue_at(resend_at, deliver_text, message.id)
    log.warning(
        "text %s attempt %s did not go through (%s); next try at %s", message.id, attempt, error.reason, resend_at
    )
    return "retrying"


def fail(message: OutgoingMessage, attempt: int, error: PermanentSmsError) -> str:
    if error.number_problem and message.user_id is not None:
        flag_phone(message.user_id, message.to, error.reason)
    move_on(message, attempt, status=MessageStatus.FAILED, error=error.reason)
    log.warning("text %s failed for good: %s", message.id, error.reason)
    return "failed"


def move_on(message: OutgoingMessage, attempt: int, **values) -> bool:
    """Record an attempt's outcome unless a receipt or another job settled the row meanwhile."""
    if values.get("status") in (MessageStatus.SUBMITTED, MessageStatus.FAILED) and message.kind == outbox.VERIFICATION:
        values["body"] = wording.VERIFICATION_REDACTED
    changed = db.session.execute(
        update(OutgoingMessage)
        .where(
            OutgoingMessage.id == message.id,
            OutgoingMessage.status == MessageStatus.QUEUED,
            OutgoingMessage.attempts == attempt,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed and values.get("provider_message_id"):
        # A receipt matched our client-ref first; keep the id it did not carry.
        db.session.execute(
            update(OutgoingMessage)
            .where(OutgoingMessage.id == message.id, OutgoingMessage.provider_message_id.is_(None))
            .values(provider_message_id=values["provider_message_id"])
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    if changed and "status" in values:
        announce(message.user_id, message.id, values["status"])
    return bool(changed)


def announce(user_id: int | None, message_id: int, status: MessageStatus) -> None:
    """Live dashboard (issue 7): a text moved on, so open dashboards show its new status; best effort."""
    live.publish(user_id, {"type": "text", "id": message_id, "status": status.value})


def settle(message: OutgoingMessage, status: MessageStatus, error: str) -> None:
    message.status = status
    message.error = error[:300]
    if message.kind == outbox.VERIFICATION:
        # The code is kept only as a hash; once the text is settled its body loses the code too.
        message.body = wording.VERIFICATION_REDACTED


def flag_phone(user_id: int, phone: str, reason: str) -> None:
    """Mark the number as failing so the dashboard can ask the user to check it; the caller commits."""
    db.session.execute(
        update(User)
        .where(User.id == user_id, User.phone == phone)
        .values(phone_failed_at=utcnow(), phone_failure=reason[:200])
        .execution_options(synchronize_session=False)
    )


@contextmanager
def texting_lock(user_id: int | None) -> Iterator[None]:
    """One gate check at a time per user, so two alerts cannot both squeeze under the daily cap."""
    lock = queues.redis.lock(f"texts:user:{user_id}", timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS)
    if not lock.acquire():
        raise LockError(f"texting lock for user {user_id} is held too long")
    try:
        yield
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("texting lock for user %s expired before release", user_id)


def record_receipt(
    provider_message_id: str, status: str, error_code: str | None = None, client_ref: str | None = None
) -> str:
    """Move a row along as Vonage reports on it; a receipt also stops the resend of an uncertain attempt."""
    message = None
    if provider_message_id:
        message = db.session.scalars(
            select(OutgoingMessage).where(OutgoingMessage.provider_message_id == provider_message_id).limit(1)
        ).first()
    if message is None and client_ref:
        # Receipts carry our client-ref: it finds a row whose send timed out before we learnt its id.
        message = db.session.scalars(
            select(OutgoingMessage).where(OutgoingMessage.idempotency_key == client_ref)
        ).first()
    if message is None:
        log.info("delivery receipt for an unknown message (%s)", status)
        return "unknown message"
    if message.status not in (MessageStatus.QUEUED, MessageStatus.SUBMITTED):
        return "already settled"
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
        return "nothing to record"
    if message.kind == outbox.VERIFICATION:
        values["body"] = wording.VERIFICATION_REDACTED
    changed = db.session.execute(
        update(OutgoingMessage)
        .where(OutgoingMessage.id == message.id, OutgoingMessage.status == message.status)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed and message.user_id is not None:
        if status == RECEIPT_DELIVERED:
            # The number works again: clear any earlier failure shown on the dashboard.
            db.session.execute(
                update(User)
                .where(User.id == message.user_id, User.phone == message.to)
                .values(phone_failed_at=None, phone_failure=None)
                .execution_options(synchronize_session=False)
            )
        elif status in RECEIPT_FAILED:
            flag_phone(message.user_id, message.to, f"Our text was not delivered ({status})")
    db.session.commit()
    if changed:
        announce(message.user_id, message.id, values["status"])
    log.info("text %s receipt: %s", message.id, status)
    return status


def handle_reply(msisdn: str, text: str, inbound_message_id: str) -> str:
    """Act on a text from a user's phone: STOP opts out, START opts in, BATTERY gets levels, anything else help."""
    phone = "+" + msisdn.lstrip("+")
    keyword = wording.reply_keyword(text)
    users = db.session.scalars(select(User).where(User.phone == phone).order_by(User.id)).all()
    for user in users:
        if keyword == "STOP":
            opt_out(user)
            continue
        key = f"reply:{inbound_message_id}:{user.id}"
        if db.session.scalar(select(func.count()).where(OutgoingMessage.idempotency_key == key)):
            continue  # this reply was answered already: a repeated or replayed webhook
        if keyword == "START":
            body = wording.OPTED_IN if user.opted_out_at is not None else wording.ALREADY_IN
            user.opted_out_at = None
            db.session.commit()
        elif keyword == "BATTERY":
            body = wording.battery_text(wording.watched_devices(user.devices, user.include_scales, utcnow()))
        else:
            body = wording.HELP
        outbox.queue_text(user, outbox.REPLY, key, body)
    log.info("reply %s handled for %s account(s)", keyword or "other", len(users))
    return keyword or "help"


def opt_out(user: User) -> None:
    """Stop every text to this user, and confirm once per opt-out (a second STOP gets no answer)."""
    if user.opted_out_at is None:
        user.opted_out_at = utcnow()
        db.session.commit()
    key = f"opt-out:{user.id}:{user.opted_out_at.isoformat()}"
    outbox.queue_text(user, outbox.OPT_OUT_CONFIRMATION, key, wording.OPTED_OUT)


def send_welcome(user_id: int) -> str:
    """Text the newly verified number each device's battery, so the user sees at once that texts arrive."""
    user = db.session.get(User, user_id)
    if user is None or not user.phone_verified:
        return "not verified"
    devices = wording.watched_devices(user.devices, user.include_scales, utcnow())
    key = f"welcome:{user.id}:{user.phone_verified_at.isoformat()}"
    outbox.queue_text(user, outbox.WELCOME, key, wording.welcome_text(devices))
    return "queued"


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
