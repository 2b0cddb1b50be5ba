"""The evening reminder's sweep: each user whose reminder moment has come is looked at once, and texted at most once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from app import alerting, reminders
from app.extensions import db
from app.models import ConnectionState, User, utcnow
from app.tasks.delivery import queue_text

REMINDER_BATCH = 500


def remind_due_users(now: datetime | None = None) -> int:
    """Text the users whose reminder moment has passed (or who have none placed yet), then place their next.

    The text's key is the evening's, so a crash between the text and the next moment, or two sweeps at
    once, never sends a second reminder that evening. Returns how many reminders were decided (one decided
    again under an evening's key that has its row already is not written again).
    """
    now = now or utcnow()
    due = db.session.scalars(
        select(User)
        .where(
            User.remind_at.is_not(None),
            User.connection_state == ConnectionState.CONNECTED,
            or_(User.next_reminder_at.is_(None), User.next_reminder_at <= now),
        )
        .order_by(User.next_reminder_at.nulls_first(), User.id)
        .limit(REMINDER_BATCH)
    ).all()
    decided = 0
    for user in due:
        text = alerting.reminder_for(user, now)
        if text is not None:
            queue_text(user, text.kind, alerting.text_key(user, text), text.body, text.send_after)
            decided += 1
        user.next_reminder_at = reminders.next_moment(user.remind_at, user.time_zone, now)
        db.session.commit()
    return decided
