"""The evening reminder: the sweep hands each user whose moment has come to a job, and the job texts at most once."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import or_, select, update

from app.domain import alerting
from app.extensions import db, queues
from app.models import ConnectionState, User, utcnow
from app.rules import alerts, reminders
from app.tasks.delivery import queue_alerts

REMINDER_BATCH = 1000
# At 20:00 in a big zone every user there is due at once: the sweep hands out batches for this long, the
# workers decide them in parallel, and the next sweep goes on with the rest.
REMINDER_SECONDS = 20


def remind_due_users(now: datetime | None = None) -> int:
    """Queue a reminder job for each user whose reminder moment has passed (or who has none placed yet), then
    place their next moment. Returns how many jobs were queued.

    Queued first, placed after: if Redis refuses, the users stay due and the next sweep tries again. The
    job's text is keyed by the evening, so a job queued twice never sends twice.
    """
    now = now or utcnow()
    queued = 0
    deadline = time.monotonic() + REMINDER_SECONDS
    while time.monotonic() < deadline:
        due = db.session.execute(
            select(User.id, User.remind_at, User.time_zone)
            .where(
                User.remind_at.is_not(None),
                User.connection_state == ConnectionState.CONNECTED,
                or_(User.next_reminder_at.is_(None), User.next_reminder_at <= now),
            )
            .order_by(User.next_reminder_at.nulls_first(), User.id)
            .limit(REMINDER_BATCH)
        ).all()
        if not due:
            break
        for user_id, _, _ in due:
            queues.queue("default").enqueue(send_evening_reminder, user_id)
        for user_id, remind_at, time_zone in due:
            assert remind_at is not None  # chosen above where it is set
            db.session.execute(update(User).where(User.id == user_id).values(
                next_reminder_at=reminders.next_moment(remind_at, time_zone, now)))
        db.session.commit()
        queued += len(due)
    return queued


def send_evening_reminder(user_id: int, now: datetime | None = None) -> bool:
    """Decide the user's reminder for this evening and queue it under the evening's key; True when one is due.

    Decided when the job runs: a job that waited past the reminder's hour (`reminders.LATE_LIMIT`) sends none.
    """
    user = db.session.get(User, user_id)
    if user is None or user.connection_state is not ConnectionState.CONNECTED:
        return False
    reminder = alerting.reminder_for(user, now or utcnow())
    if reminder is None:
        return False
    # Like every alert: once to the account's number and once to each extra number that chose reminders.
    queue_alerts(user, alerts.AlertDecision((reminder,), {}))
    return True
