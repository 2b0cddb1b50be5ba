"""The welcome text: proof, right after the number is confirmed, that texts arrive, with each battery level."""

from __future__ import annotations

import enum

from app import alerting, outbox, wording
from app.extensions import db
from app.models import User, utcnow
from app.tasks.delivery import queue_text


class Welcome(enum.Enum):
    QUEUED = "queued"
    NOT_VERIFIED = "not verified"


def send_welcome(user_id: int) -> Welcome:
    """Text the newly verified number each watched device's battery; once per verification."""
    user = db.session.get(User, user_id)
    if user is None or not user.phone_verified:
        return Welcome.NOT_VERIFIED
    key = f"welcome:{user.id}:{user.phone_verified_at.isoformat()}"
    queue_text(user, outbox.WELCOME, key, wording.welcome_text(alerting.watched_readings(user, utcnow())))
    return Welcome.QUEUED
