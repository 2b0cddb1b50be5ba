"""What a push can leave behind in Redis and the database, for tests that check a refusal queued nothing."""

from __future__ import annotations

from rq import Queue
from sqlalchemy import func, select

from app.extensions import QUEUE_NAMES, db, queues
from app.models import PendingPush


def queued_work() -> dict[str, int]:
    """Everything a push can leave behind: dirty marks, queued flags, RQ jobs (waiting or scheduled), kept pushes."""
    redis = queues.redis
    work = {
        "dirty_users": redis.hlen("sync:dirty"),
        "queued_flags": len(redis.keys("sync:queued:*")),
        "pending_pushes": db.session.scalar(select(func.count(PendingPush.id))),
    }
    for name in QUEUE_NAMES:
        queue = Queue(name, connection=redis)
        work[f"{name}_jobs"] = len(queue) + queue.scheduled_job_registry.count
    return work


NOTHING_QUEUED = {
    "dirty_users": 0, "queued_flags": 0, "pending_pushes": 0,
    **{f"{name}_jobs": 0 for name in QUEUE_NAMES},
}
