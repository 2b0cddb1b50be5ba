"""Housekeeping jobs: keep stored history bounded."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from app.extensions import db
from app.models import BatteryReading, utcnow

READING_RETENTION_DAYS = 90


def prune_battery_history(keep_days: int = READING_RETENTION_DAYS) -> int:
    """Keep battery history bounded: the dashboard shows 30 days, we keep 90, older readings go."""
    cutoff = utcnow() - timedelta(days=keep_days)
    result = db.session.execute(delete(BatteryReading).where(BatteryReading.read_at < cutoff))
    db.session.commit()
    return result.rowcount
