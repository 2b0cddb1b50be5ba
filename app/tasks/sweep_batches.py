"""The silent-device sweep and the backstop fanned out: the sweep only picks the due users and hands them out in
batch jobs on the sweeps queue, which any number of workers share; each batch does the per-user work.

A batch is safe to run twice: each user is judged again when the batch reaches them (a silence already texted
set `silent_sent`, a backstop already asked for set `backstop_requested_at`) and every text has its outbox
key. A batch lost with its work horse (counted failed) or with its whole worker (its heartbeat stops) is not
retried by RQ: the users it had not reached are still due, and the next sweep hands them out again. While a
batch of one kind is still queued or running, the sweep hands out none of that kind, so no user is in two
live batches and a backlog is not copied every minute.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import cast

from flask import current_app
from rq import Queue
from rq.job import Job
from sqlalchemy import or_, select, update

from app.domain import alerting
from app.extensions import db, queues
from app.models import ConnectionState, User, utcnow
from app.rules import alerts
from app.rules.batching import split_into_batches
from app.tasks.delivery import queue_alerts
from app.tasks.sync import request_sync

SILENT = "silent-batch"
BACKSTOP = "backstop-batch"
BATCH_USERS = 200
# A started batch whose worker has renewed no heartbeat for 30 s (app/tasks/worker.py renews them every 5 s, so six
# missed in a row) died with it.
WORKER_GONE_AFTER = timedelta(seconds=30)
BACKSTOP_HOURS = 24
# Spread backstop syncs over ten minutes so they never arrive as one burst at the platforms.
BACKSTOP_SPREAD_SECONDS = 600


def hand_out(kind: str, batch_job: Callable[[list[int]], int], user_ids: list[int], now: datetime) -> int:
    """Queue `batch_job` once per batch of `user_ids` (one Redis round trip); returns how many users went out.

    Nothing goes out while a batch of this `kind` is still queued or running: it holds some of these users.
    """
    if not user_ids or batches_live(kind, now):
        return 0
    size = int(current_app.config.get("SWEEP_BATCH_USERS", BATCH_USERS))
    stamp = int(now.timestamp())
    jobs = [Queue.prepare_data(batch_job, (batch,), job_id=f"{kind}-{stamp}-{number}")
            for number, batch in enumerate(split_into_batches(user_ids, size))]
    queues.queue("sweeps").enqueue_many(jobs)
    return len(user_ids)


def batches_live(kind: str, now: datetime | None = None) -> bool:
    """Is a batch of this kind waiting on the sweeps queue, being taken, or running on a worker that still beats?

    Read in the order a job moves (queue, RQ's intermediate list, started registry), so a job moving on
    between two reads is still seen at the next. A job just started may not have beaten yet: it is live.
    """
    now = now or utcnow()
    sweeps = queues.queue("sweeps")
    if any(job_id.startswith(kind) for job_id in sweeps.get_job_ids()):
        return True
    intermediate = cast(list[bytes], queues.redis.lrange(sweeps.intermediate_queue_key, 0, -1))  # answers bytes
    if any(raw.decode().startswith(kind) for raw in intermediate):
        return True
    started = [job_id for job_id in sweeps.started_job_registry.get_job_ids(cleanup=False) if job_id.startswith(kind)]
    jobs = Job.fetch_many(started, connection=queues.redis)
    return any(job and (job.last_heartbeat is None or job.last_heartbeat > now - WORKER_GONE_AFTER) for job in jobs)


def text_silent_batch(user_ids: list[int]) -> int:
    """One batch of the silent-device sweep: each user whose tracker went quiet gets one text per silence.

    Users are judged when the batch reaches them, and each is committed before the next, so a batch cut short
    keeps what it did and its redo sends nothing twice.
    """
    now = utcnow()
    hours = int(current_app.config.get("SILENCE_HOURS", 24))
    return sum(text_silent_user(user_id, now, hours) for user_id in user_ids)


def text_silent_user(user_id: int, now: datetime, hours: int) -> int:
    user = db.session.get(User, user_id)
    if user is None or user.connection_state is not ConnectionState.CONNECTED:
        return 0
    devices = list(user.devices)
    decision = alerting.decide_for(user, devices, now, partial(alerts.decide_silence, silence_hours=hours))
    queue_alerts(user, decision)
    alerting.store_states(devices, decision)
    db.session.commit()
    return len(decision.alerts)


def backstop_due(now: datetime) -> tuple:
    """Connected, not heard from for a day, and not asked already today: whom the backstop syncs."""
    cutoff = now - timedelta(hours=BACKSTOP_HOURS)
    return (User.connection_state == ConnectionState.CONNECTED, User.last_synced_at < cutoff,
            or_(User.backstop_requested_at.is_(None), User.backstop_requested_at < cutoff))


def backstop_batch(user_ids: list[int]) -> int:
    """One batch of the backstop: each user still due gets one sync, spread over ten minutes."""
    now = utcnow()
    users = db.session.execute(
        select(User.id, User.platform, User.platform_user_id).where(User.id.in_(user_ids), *backstop_due(now))
    ).all()
    # Queued first, recorded after: if Redis refuses, the users stay due and a later sweep tries again.
    for _, platform, platform_user_id in users:
        queues.queue("default").enqueue_in(
            timedelta(seconds=random.uniform(0, BACKSTOP_SPREAD_SECONDS)), request_sync, platform.value,
            platform_user_id,
        )
    if users:
        asked = [user_id for user_id, _, _ in users]
        db.session.execute(update(User).where(User.id.in_(asked)).values(backstop_requested_at=now))
        db.session.commit()
    return len(users)
