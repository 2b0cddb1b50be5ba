"""Housekeeping jobs: keep stored history bounded (what the privacy page promises)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, case, delete, func, select
from sqlalchemy.engine import CursorResult

from app.extensions import db
from app.models import BatteryReading, MessageStatus, OutgoingMessage, utcnow

READING_RETENTION_DAYS = 90
TEXT_RETENTION_DAYS = 90
# Rows looked at, and at most deleted, per statement: each is one short transaction however much is due.
PRUNE_PAGE = 5000


def prune_battery_history(keep_days: int = READING_RETENTION_DAYS) -> int:
    """Keep battery history bounded: the dashboard shows 30 days, we keep 90, older readings go.

    Run by every sweep, so each run deletes the minute of readings that just passed the cutoff (about 8,000 rows
    at a million users; the hour's 500,000 in one statement took seconds, docs/benchmarks.md)."""
    cutoff = utcnow() - timedelta(days=keep_days)
    return prune_oldest(BatteryReading, BatteryReading.read_at < cutoff)


def prune_old_texts(keep_days: int = TEXT_RETENTION_DAYS) -> int:
    """Texts older than 90 days go. Their keys are never written again (episodes, times and reply ids only grow),
    and the daily cap counts today's alone. A row still queued stays until it is settled."""
    cutoff = utcnow() - timedelta(days=keep_days)
    return prune_oldest(OutgoingMessage, OutgoingMessage.created_at < cutoff,
                        OutgoingMessage.status != MessageStatus.QUEUED)


def prune_oldest(
    model: type[BatteryReading | OutgoingMessage], too_old: ColumnElement[bool], *kept_unless: ColumnElement[bool]
) -> int:
    """Delete the `too_old` rows (that also meet `kept_unless`) a page at a time in id order, from the oldest.

    Rows are written about in time order, so ids follow time: the walk stops at the first page holding a row
    still kept and never scans the table (a BRIN index on the time column loses its order once freed pages are
    reused, and the outbox's created_at has no index). A row written later than its time (a reading is stamped
    with the device's own sync, before we fetched it) goes once the rows written before it have gone: late by
    that delay, never early.
    """
    pruned, after = 0, 0
    while True:
        page = select(model.id.label("id"), too_old.label("too_old")).where(model.id > after).order_by(model.id) \
            .limit(PRUNE_PAGE).subquery()
        last, size, kept = db.session.execute(
            select(func.max(page.c.id), func.count(), func.sum(case((page.c.too_old, 0), else_=1)))).one()
        if size:
            # A range of the primary key, not a list of ids: one index range scan over pages written together.
            pruned += cast(CursorResult[Any], db.session.execute(
                delete(model).where(model.id > after, model.id <= last, too_old, *kept_unless))).rowcount
        db.session.commit()
        if kept or size < PRUNE_PAGE:
            return pruned
        after = last
