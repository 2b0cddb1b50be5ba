"""Housekeeping jobs: keep stored history bounded (what the privacy page promises)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from app.extensions import db
from app.models import BatteryReading, MessageStatus, OutgoingMessage, utcnow

READING_RETENTION_DAYS = 90
TEXT_RETENTION_DAYS = 90


def prune_battery_history(keep_days: int = READING_RETENTION_DAYS) -> int:
    """Keep battery history bounded: the dashboard shows 30 days, we keep 90, older readings go."""
    cutoff = utcnow() - timedelta(days=keep_days)
    result = db.session.execute(delete(BatteryReading).where(BatteryReading.read_at < cutoff))
    db.session.commit()
    return result.rowcount


def prune_old_texts(keep_days: int = TEXT_RETENTION_DAYS) -> int:
    """Texts older than 90 days go. Their keys are never written again (episodes, times and reply ids only grow),
    and the daily cap counts today's alone. A row still queued stays until it is settled."""
    cutoff = utcnow() - timedelta(days=keep_days)
    settled_and_old = (OutgoingMessage.created_at < cutoff, OutgoingMessage.status != MessageStatus.QUEUED)
    result = db.session.execute(delete(OutgoingMessage).where(*settled_and_old))
    db.session.commit()
    return result.rowcount
