"""The outbox: one row per text, written once per key before it is sent, the gates every send passes, the day's count.

Delivery itself is a job (`tasks.delivery`); this module only keeps the rows and says what may go out.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from app.adapters import events, metrics
from app.adapters.digests import keyed_digest
from app.extensions import db
from app.models import MessageStatus, OutgoingMessage, User, utcnow
from app.models.recipients import Recipient
from app.rules.timezones import local_midnight
from app.texts.wording import redacted

log = logging.getLogger(__name__)

VERIFICATION = "verification"
WELCOME = "welcome"
FIRST_READING = "first_reading"
REPLY = "reply"
OPT_OUT_CONFIRMATION = "opt_out"
TEST = "test"
ALERT_KINDS = frozenset({"low", "empty", "silent", "reconnect", "retired", "reminder"})
# Texts that need a verified number and no opt-out.
OPTED_IN_KINDS = ALERT_KINDS | {WELCOME, FIRST_READING, REPLY, TEST}
KINDS = OPTED_IN_KINDS | {VERIFICATION, OPT_OUT_CONFIRMATION}

CODE_LIFETIME = timedelta(minutes=10)
MAX_BODY = 480  # three SMS segments; every text we write is meant to fit in one
COUNTED_STATUSES = (MessageStatus.QUEUED, MessageStatus.SUBMITTED, MessageStatus.DELIVERED, MessageStatus.FAILED)
SETTLED_STATUSES = frozenset({MessageStatus.SUBMITTED, MessageStatus.DELIVERED, MessageStatus.FAILED,
                              MessageStatus.SKIPPED})


def write_text(
    user: User, kind: str, key: str, body: str, send_after: datetime | None = None, recipient: Recipient | None = None
) -> tuple[OutgoingMessage | None, bool]:
    """Write the text once per key: the row for `key` (new or existing) and whether this call wrote it. Commits.

    To the account's own number, or to `recipient`, one of its extra numbers (the key must then name it).
    None when the user has no number. Two workers writing the same key at once both succeed, and
    only one of them is told it wrote the row, so only that one starts its delivery.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown text kind {kind!r}")
    if len(body) > MAX_BODY:
        raise ValueError(f"a text body is at most {MAX_BODY} characters")
    holder = recipient or user
    if not holder.phone:
        return None, False
    now = utcnow()
    values = {
        "user_id": user.id,
        "recipient_id": recipient.id if recipient is not None else None,
        "idempotency_key": key,
        "kind": kind,
        "to": holder.phone,
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
    if inserted:
        metrics.count("battery_texts", kind=kind, status=MessageStatus.QUEUED.value)
        log.info("text %s written (%s) for user %s", message.id, kind, user.id)
    return message, inserted


def _insert_if_new(values: dict) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on the key."""
    table = cast(Table, OutgoingMessage.__table__)  # mapped declaratively: a Table, which its type leaves open
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


def client_reference(message: OutgoingMessage) -> str:
    """The reference sent with a text as Vonage's client-ref: the row id and a MAC of it under SECRET_KEY.

    Receipts carry it back, and it finds the row of a send whose answer we never got. Outbox keys
    (`low:<user>:<device>:<episode>`) are guessable; this is not, so a forged receipt cannot name a row.
    """
    return f"{message.id}.{_reference_mac(message.id)}"


def message_for_reference(reference: str) -> OutgoingMessage | None:
    """The row a client-ref names, or None when it is not one we made."""
    row_id, _, mac = (reference or "").partition(".")
    if not (row_id.isascii() and row_id.isdigit() and len(row_id) <= 18):
        return None
    if not hmac.compare_digest(mac.encode(), _reference_mac(int(row_id)).encode()):
        return None
    return db.session.get(OutgoingMessage, int(row_id))


def _reference_mac(row_id: int) -> str:
    return keyed_digest(f"client-ref:{row_id}")[:32]


def shown_body(message: OutgoingMessage) -> str:
    """The body as anyone but the phone may see it: a code never, whatever state its row is in."""
    return redacted(message.body) if message.kind == VERIFICATION else message.body


def change_if(
    message: OutgoingMessage, expected: dict, values: dict, along_with: Callable[[], None] | None = None
) -> bool:
    """Move a row on where it still matches `expected` (another job or a receipt may have moved it first).

    The one place a row's state changes: a settled code text loses its code, and open dashboards
    hear of every new status. `along_with` runs only when the row changed, in the same commit.
    Commits; True when this call changed the row.
    """
    if values.get("status") in SETTLED_STATUSES and message.kind == VERIFICATION:
        # The code is kept only as a hash; once the text is settled its body loses the code too.
        values = {**values, "body": redacted(message.body)}
    conditions = [getattr(OutgoingMessage, column) == value for column, value in expected.items()]
    changed = cast(CursorResult[Any], db.session.execute(
        update(OutgoingMessage)
        .where(OutgoingMessage.id == message.id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )).rowcount
    if changed and along_with is not None:
        along_with()
    db.session.commit()
    if changed and "status" in values:
        metrics.count("battery_texts", kind=message.kind, status=values["status"].value)
        events.publish(message.user_id, {"type": "text", "id": message.id, "status": values["status"].value})
    return bool(changed)


def flag_phone(user_id: int, phone: str, reason: str | None) -> None:
    """Mark the number as failing (or, with no reason, working again) for the dashboard, the account's own or an
    extra one; the caller commits."""
    values = {"phone_failed_at": utcnow() if reason else None, "phone_failure": reason[:200] if reason else None}
    for table, owner in ((User, User.id), (Recipient, Recipient.user_id)):
        db.session.execute(
            update(table).where(owner == user_id, table.phone == phone).values(**values)
            .execution_options(synchronize_session=False)
        )


def to_the_same_number(recipient_id: int | None):
    """The condition that keeps a count to one number: the account's own (None) or one extra number."""
    if recipient_id is None:
        return OutgoingMessage.recipient_id.is_(None)
    return OutgoingMessage.recipient_id == recipient_id


def texts_sent_today(user: User, now: datetime, recipient_id: int | None = None) -> int:
    """Alert texts written to one of the user's numbers since local midnight, so the daily cap spares that phone.

    Counts alert kinds only: codes, the welcome and answers to the user's own replies
    never use up the day's alerts. Skipped rows were never sent and do not count.
    """
    return db.session.execute(
        select(func.count(OutgoingMessage.id)).where(
            OutgoingMessage.user_id == user.id,
            to_the_same_number(recipient_id),
            OutgoingMessage.kind.in_(ALERT_KINDS),
            OutgoingMessage.created_at >= local_midnight(user.time_zone, now),
            OutgoingMessage.status.in_(COUNTED_STATUSES),
        )
    ).scalar_one()


def alerts_gone_out_today(message: OutgoingMessage, user: User, now: datetime) -> int:
    """Alert texts already handed to the provider (or being handed) today to the message's number, the message
    left out: what the send-time cap counts."""
    return db.session.execute(
        select(func.count(OutgoingMessage.id)).where(
            OutgoingMessage.user_id == user.id,
            to_the_same_number(message.recipient_id),
            OutgoingMessage.id != message.id,
            OutgoingMessage.kind.in_(ALERT_KINDS),
            OutgoingMessage.created_at >= local_midnight(user.time_zone, now),
            or_(
                OutgoingMessage.status.in_((MessageStatus.SUBMITTED, MessageStatus.DELIVERED, MessageStatus.FAILED)),
                (OutgoingMessage.status == MessageStatus.QUEUED) & (OutgoingMessage.attempts > 0),
            ),
        )
    ).scalar_one()


def blocked_reason(message: OutgoingMessage, user: User | None, now: datetime) -> str | None:
    """Why this text must not go out now, or None: the gates every send passes, checked at send time, against
    the number the row is for (the account's own, or an extra one: each has its own confirmation and STOP)."""
    holder = user if message.recipient_id is None else db.session.get(Recipient, message.recipient_id,
                                                                        populate_existing=True)
    if user is None or holder is None:
        return "the account is gone" if user is None else "the number was removed"
    if holder.phone != message.to:
        return "the number changed after the text was written"
    if message.kind == VERIFICATION:
        if now - message.created_at > CODE_LIFETIME:
            return "the code expired before it could be sent"
        return None
    if not holder.phone_verified:
        return "the number is not verified"
    if message.kind == OPT_OUT_CONFIRMATION:
        return None if holder.opted_out_at is not None else "the user opted back in"
    if holder.opted_out_at is not None:
        return "the user replied STOP"
    return _alert_blocked_reason(message, user, holder, now) if message.kind in ALERT_KINDS else None


def _alert_blocked_reason(message: OutgoingMessage, user: User, holder: User | Recipient, now: datetime) -> str | None:
    """The gates only alerts pass: not paused, chosen by an extra number, and under that number's daily cap."""
    if user.paused_at(now):
        return "alerts are paused"
    if isinstance(holder, Recipient) and message.kind not in holder.chosen_texts:
        return "this number no longer gets these texts"
    cap = int(current_app.config["DAILY_TEXT_CAP"])
    if alerts_gone_out_today(message, user, now) >= cap:
        return f"the daily cap of {cap} texts is reached"
    return None
