"""The one door for every text: an outbox row written once per key, the gates every send passes, the day's count."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.extensions import db, queues
from app.models import MessageStatus, OutgoingMessage, User, utcnow

log = logging.getLogger(__name__)

VERIFICATION = "verification"
WELCOME = "welcome"
REPLY = "reply"
OPT_OUT_CONFIRMATION = "opt_out"
ALERT_KINDS = frozenset({"low", "empty", "silent", "reconnect", "retired"})
# Texts that need a verified number and no opt-out.
OPTED_IN_KINDS = ALERT_KINDS | {WELCOME, REPLY}
KINDS = OPTED_IN_KINDS | {VERIFICATION, OPT_OUT_CONFIRMATION}

CODE_LIFETIME = timedelta(minutes=10)
MAX_BODY = 480  # three SMS segments; every text we write is meant to fit in one
# Named by path, not imported: the jobs module imports this one.
DELIVER_JOB = "app.tasks.texts.deliver_text"
COUNTED_STATUSES = (MessageStatus.QUEUED, MessageStatus.SUBMITTED, MessageStatus.DELIVERED, MessageStatus.FAILED)


def queue_text(
    user: User, kind: str, key: str, body: str, send_after: datetime | None = None
) -> OutgoingMessage | None:
    """Write the text to the outbox once per key and start its delivery, so a repeated push never texts twice.

    Returns the row for `key`, new or existing, or None when the user has no number. Commits.
    Only the caller that inserted the row enqueues the delivery; a row whose enqueue was lost
    (Redis down) is picked up by `tasks.texts.resume_stalled_texts`.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown text kind {kind!r}")
    if len(body) > MAX_BODY:
        raise ValueError(f"a text body is at most {MAX_BODY} characters")
    if not user.phone:
        return None
    now = utcnow()
    values = {
        "user_id": user.id,
        "idempotency_key": key,
        "kind": kind,
        "to": user.phone,
        "body": body,
        "status": MessageStatus.QUEUED,
        "attempts": 0,
        "send_after": send_after,
        "created_at": now,
        "updated_at": now,
    }
    inserted = _insert_if_new(values)
    db.session.commit()
    message = db.session.scalars(select(OutgoingMessage).where(OutgoingMessage.idempotency_key == key)).one()
    if not inserted:
        return message
    texts = queues.queue("texts")
    if send_after is not None and send_after > now:
        texts.enqueue_at(send_after, DELIVER_JOB, message.id)
    else:
        texts.enqueue(DELIVER_JOB, message.id)
    log.info("text %s queued (%s) for user %s", message.id, kind, user.id)
    return message


def _insert_if_new(values: dict) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on the key: two workers writing the same text at once both succeed."""
    table = OutgoingMessage.__table__
    dialect = db.engine.dialect.name
    if dialect in {"postgresql", "sqlite"}:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
        return db.session.execute(statement.returning(table.c.id)).first() is not None
    try:
        with db.session.begin_nested():
            db.session.execute(table.insert().values(**values))
    except IntegrityError:
        return False
    return True


def local_midnight(time_zone: str, now: datetime) -> datetime:
    """Midnight today where the user lives (UTC for an unknown zone), as an aware UTC-comparable time."""
    try:
        zone = ZoneInfo(time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local_now = now.astimezone(zone)
    return datetime.combine(local_now.date(), time(0), tzinfo=zone)


def texts_sent_today(user: User, now: datetime) -> int:
    """Alert texts written for this user since local midnight, so the daily cap spares their phone.

    Counts alert kinds only: codes, the welcome and answers to the user's own replies
    never use up the day's alerts. Skipped rows were never sent and do not count.
    """
    return db.session.scalar(
        select(func.count(OutgoingMessage.id)).where(
            OutgoingMessage.user_id == user.id,
            OutgoingMessage.kind.in_(ALERT_KINDS),
            OutgoingMessage.created_at >= local_midnight(user.time_zone, now),
            OutgoingMessage.status.in_(COUNTED_STATUSES),
        )
    )


def alerts_gone_out_today(user: User, now: datetime, leaving_out: int) -> int:
    """Alert texts already handed to the provider (or being handed) today: what the send-time cap counts."""
    return db.session.scalar(
        select(func.count(OutgoingMessage.id)).where(
            OutgoingMessage.user_id == user.id,
            OutgoingMessage.id != leaving_out,
            OutgoingMessage.kind.in_(ALERT_KINDS),
            OutgoingMessage.created_at >= local_midnight(user.time_zone, now),
            or_(
                OutgoingMessage.status.in_((MessageStatus.SUBMITTED, MessageStatus.DELIVERED, MessageStatus.FAILED)),
                (OutgoingMessage.status == MessageStatus.QUEUED) & (OutgoingMessage.attempts > 0),
            ),
        )
    )


def blocked_reason(message: OutgoingMessage, user: User | None, now: datetime) -> str | None:
    """Why this text must not go out now, or None: the gates every send passes, checked at send time."""
    if user is None:
        return "the account is gone"
    if user.phone != message.to:
        return "the number changed after the text was written"
    if message.kind == VERIFICATION:
        if now - message.created_at > CODE_LIFETIME:
            return "the code expired before it could be sent"
        return None
    if not user.phone_verified:
        return "the number is not verified"
    if message.kind == OPT_OUT_CONFIRMATION:
        return None if user.opted_out_at is not None else "the user opted back in"
    if user.opted_out_at is not None:
        return "the user replied STOP"
    if message.kind in ALERT_KINDS:
        if user.paused:
            return "alerts are paused"
        cap = int(current_app.config["DAILY_TEXT_CAP"])
        if alerts_gone_out_today(user, now, leaving_out=message.id) >= cap:
            return f"the daily cap of {cap} texts is reached"
    return None
