"""The welcome text: proof, right after the number is confirmed, that texts arrive, with each battery level.

Confirming the number asks for a fresh read and sets `awaiting_first_reading`. The first sync that
reads the platform sends the welcome with the levels. If none does within `WELCOME_WAIT_SECONDS`, the
welcome goes without levels, and the first reading that arrives later sends one short "first reading"
text instead. One outbox key per confirmation for the welcome and one for the first reading, and the
flag cleared in the same commit as the welcome with levels, mean a person never gets both.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from flask import current_app

from app.domain import alerting, outbox
from app.extensions import db, queues
from app.models import User, utcnow
from app.tasks.delivery import queue_text, start_delivery
from app.texts import wording

WELCOME_WAIT_SECONDS = 120


class Welcome(enum.Enum):
    WAITING_FOR_READING = "waiting for the first reading"
    SENT_WITHOUT_LEVELS = "sent without levels"
    SENT_WITH_LEVELS = "sent with levels"
    FIRST_READING_SENT = "first reading sent"
    NOTHING_TO_DO = "nothing to do"
    NOT_VERIFIED = "not verified"


def waited_long_enough(verified_at: datetime, now: datetime, wait: timedelta) -> bool:
    """The platform had its `wait` to answer: from that instant on, the welcome goes without levels."""
    return now >= verified_at + wait


def welcome_key(user: User) -> str:
    assert user.phone_verified_at is not None  # a welcome goes to a verified number only
    return f"welcome:{user.id}:{user.phone_verified_at.isoformat()}"


def send_welcome(user_id: int) -> Welcome:
    """Queued when the number is confirmed: wait for a fresh read, and send without levels if none comes in time."""
    user = db.session.get(User, user_id)
    if user is None or not user.phone_verified:
        return Welcome.NOT_VERIFIED
    if not user.awaiting_first_reading:
        return Welcome.NOTHING_TO_DO
    wait = timedelta(seconds=float(current_app.config.get("WELCOME_WAIT_SECONDS", WELCOME_WAIT_SECONDS)))
    verified_at = user.phone_verified_at
    assert verified_at is not None  # phone_verified
    if not waited_long_enough(verified_at, utcnow(), wait):
        queues.queue("texts").enqueue_at(verified_at + wait, send_welcome, user_id)
        return Welcome.WAITING_FOR_READING
    queue_text(user, outbox.WELCOME, welcome_key(user), wording.welcome_unread_text(user.language))
    return Welcome.SENT_WITHOUT_LEVELS


def after_first_reading(user: User) -> Welcome:
    """Called by the sync once the platform answered: the welcome with levels, or the first-reading text."""
    if not user.awaiting_first_reading or not user.phone_verified:
        return Welcome.NOTHING_TO_DO
    readings = alerting.watched_readings(user, utcnow())
    user.awaiting_first_reading = False  # committed with the welcome below
    body = wording.welcome_text(readings, user.language)
    message, written = outbox.write_text(user, outbox.WELCOME, welcome_key(user), body)
    if written:
        assert message is not None  # written, so there is a row
        start_delivery(message)
        return Welcome.SENT_WITH_LEVELS
    # The welcome without levels went first: the levels follow in their own short text.
    assert user.phone_verified_at is not None  # phone_verified
    queue_text(user, outbox.FIRST_READING, f"first-reading:{user.id}:{user.phone_verified_at.isoformat()}",
               wording.first_reading_text(readings, user.language))
    return Welcome.FIRST_READING_SENT
