"""Scheduled work: what pushes cannot catch (a dead tracker cannot push) and what a crash left behind."""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime, timedelta
from functools import partial

from flask import current_app
from rq.job import Job
from sqlalchemy import delete, func, or_, select, update

from app import alerting, alerts, service_status
from app.devices import FORGOTTEN_AFTER, SCALE
from app.extensions import db, queues
from app.models import ConnectionState, Device, PendingPush, Platform, User, utcnow
from app.tasks import coalescing, maintenance
from app.tasks.delivery import queue_alerts, resume_stalled_texts
from app.tasks.reminders import remind_due_users
from app.tasks.setup import queue_account_setup
from app.tasks.sync import request_sync

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 60
BACKSTOP_HOURS = 24
# Spread backstop syncs over ten minutes so they never arrive as one burst at the platforms.
BACKSTOP_SPREAD_SECONDS = 600
BACKSTOP_BATCH = 500
# After a long Redis outage the kept pushes can number one per user; one sweep drains them in batches for
# this long (a batch is 1,000 Redis script calls and one delete), and the next sweep goes on.
DRAIN_BATCH = 1000
DRAIN_SECONDS = 30


def schedule_sweeps(now: datetime | None = None) -> None:
    """Queue the next sweep at the next whole interval; the job id makes it one sweep whoever schedules it."""
    now = now or utcnow()
    interval = int(current_app.config.get("SWEEP_EVERY_SECONDS", SWEEP_EVERY_SECONDS))
    slot = (int(now.timestamp()) // interval + 1) * interval
    queues.queue("sweeps").enqueue_at(
        datetime.fromtimestamp(slot, UTC), run_sweeps, job_id=f"sweep-{slot}", result_ttl=interval * 5
    )


def resume_lost_sweep(alive_within: timedelta, now: datetime | None = None) -> bool:
    """Schedule the next sweep unless one is queued, scheduled or running; True if it had to.

    A sweep schedules its successor in its `finally`, which a SIGKILLed or OOM-killed work horse never runs
    and a Redis error at that moment undoes; every worker calls this in its maintenance pass and after each
    sweep it runs, so the chain goes on. A started sweep counts as running while its worker's heartbeat is
    younger than `alive_within` (a long one gets no sibling); one whose worker died with it does not. Racing a
    sweep in transit can only schedule the slot that sweep schedules itself, and the `sweep-{slot}` id makes
    the two one job.
    """
    now = now or utcnow()
    sweeps = queues.queue("sweeps")
    if _sweeps_among(sweeps.get_job_ids()):
        return False
    started = Job.fetch_many(_sweeps_among(sweeps.started_job_registry.get_job_ids(cleanup=False)), queues.redis)
    if any(job and job.last_heartbeat and job.last_heartbeat > now - alive_within for job in started):
        return False
    if _sweeps_among(sweeps.scheduled_job_registry.get_job_ids(cleanup=False)):
        return False
    schedule_sweeps(now)
    log.warning("no sweep was queued, scheduled or running: the next one is scheduled")
    return True


def is_sweep(job_id: str) -> bool:
    return job_id.startswith("sweep-")


def _sweeps_among(job_ids: list[str]) -> list[str]:
    return [job_id for job_id in job_ids if is_sweep(job_id)]


def run_sweeps() -> dict[str, int]:
    """Every minute: drain pushes kept while Redis was down, re-queue interrupted syncs, stalled texts and
    account setups that gave up, text about silent devices, send the evening reminders that are due."""
    try:
        return {
            "pending_pushes": drain_pending_pushes(),
            "recovered_syncs": recover_interrupted_syncs(),
            "silent_texts": text_silent_devices(),
            "evening_reminders": remind_due_users(),
            "stalled_texts": resume_stalled_texts(),
            "account_setups": resume_account_setups(),
            "backstop_syncs": backstop_syncs(),
        }
    finally:
        schedule_sweeps()


def drain_pending_pushes() -> int:
    """Turn the pushes kept while Redis was down into sync requests, a batch at a time, for at most
    DRAIN_SECONDS; the next sweep takes whatever is left."""
    drained = 0
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        pushes = db.session.scalars(select(PendingPush).order_by(PendingPush.id).limit(DRAIN_BATCH)).all()
        for push in pushes:
            request_sync(push.platform, push.platform_user_id, push.received_at)
        if not pushes:
            break
        db.session.execute(delete(PendingPush).where(PendingPush.id.in_([push.id for push in pushes])))
        db.session.commit()
        drained += len(pushes)
    return drained


def recover_interrupted_syncs() -> int:
    """A user still marked dirty with no sync waiting and none running lost theirs to a dead worker, or
    had it held back while the platform refused our credentials."""
    grace = timedelta(seconds=int(current_app.config.get("SYNC_LOCK_SECONDS", 120)))
    refusing = set(service_status.refused_services())
    # While a platform refuses our credentials its users' syncs wait; one round at a time is let through.
    held_back = {platform for platform in refusing if not service_status.probe_due(platform)}
    recovered = 0
    for name in coalescing.dirty_members():
        if name.split(":", 1)[0] in held_back:
            continue
        if coalescing.is_running(name) or coalescing.still_waiting(name, grace):
            continue
        coalescing.release_claim(name)
        platform, platform_user_id = name.split(":", 1)
        # request_sync bumps the mark; the re-run clears it when it finishes.
        if request_sync(platform, platform_user_id):
            recovered += 1
    return recovered


def resume_account_setups() -> int:
    """A connected Fitbit account still without its subscription gets no pushes: its setup gave up (the
    platform failed every retry) or died with a worker. Set it up again."""
    unsubscribed = db.session.scalars(
        select(User.id).where(
            User.platform == Platform.FITBIT,
            User.connection_state == ConnectionState.CONNECTED,
            User.fitbit_subscription_id.is_(None),
        ).order_by(User.id).limit(BACKSTOP_BATCH)
    ).all()
    return sum(queue_account_setup(user_id) for user_id in unsubscribed)


def text_silent_devices(now: datetime | None = None) -> int:
    """A tracker that has not synced for SILENCE_HOURS may have died: one text per silence."""
    now = now or utcnow()
    hours = int(current_app.config.get("SILENCE_HOURS", 24))
    cutoff = now - timedelta(hours=hours)
    user_ids = silent_device_owners(now, cutoff)
    sent = 0
    for user_id in user_ids:
        user = db.session.get(User, user_id)
        if user is None or user.connection_state is not ConnectionState.CONNECTED:
            continue
        devices = list(user.devices)
        decision = alerting.decide_for(user, devices, now, partial(alerts.decide_silence, silence_hours=hours))
        queue_alerts(user, decision)
        alerting.store_states(devices, decision)
        db.session.commit()
        sent += len(decision.texts)
    return sent


def silent_device_owners(now: datetime, cutoff: datetime) -> list[int]:
    """Users with a device the silence rule will judge: synced before the cutoff, not yet texted about.

    The SQL form of `devices.is_watched`: a forgotten device, an excluded scale (in any case) or a
    disconnected user never gets silent_sent, and selecting them every minute swamped the sweep
    (docs/benchmarks.md).
    """
    return list(db.session.scalars(
        select(Device.user_id)
        .join(User)
        .where(
            Device.last_seen_at < cutoff,
            Device.last_seen_at >= now - FORGOTTEN_AFTER,
            Device.silent_sent.is_(False),
            User.connection_state == ConnectionState.CONNECTED,
            or_(func.upper(func.trim(Device.device_type)) != SCALE, User.include_scales),
        )
        .distinct()
    ))


def backstop_syncs(now: datetime | None = None) -> int:
    """Users we have not heard from in a day get one sync, in case their pushes went missing."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=BACKSTOP_HOURS)
    # Oldest first, and each user at most once a day whatever the sync then finds, so a long stale list
    # is worked through batch by batch instead of the same batch coming back every minute.
    users = db.session.execute(
        select(User.id, User.platform, User.platform_user_id)
        .where(
            User.connection_state == ConnectionState.CONNECTED,
            User.last_synced_at < cutoff,
            or_(User.backstop_requested_at.is_(None), User.backstop_requested_at < cutoff),
        )
        .order_by(User.last_synced_at, User.id)
        .limit(BACKSTOP_BATCH)
    ).all()
    # Queued first, recorded after: if Redis refuses, the users stay due and the next sweep tries again.
    for _, platform, platform_user_id in users:
        queues.queue("default").enqueue_in(
            timedelta(seconds=random.uniform(0, BACKSTOP_SPREAD_SECONDS)),
            request_sync, platform.value, platform_user_id,
        )
    if users:
        db.session.execute(
            update(User).where(User.id.in_([user_id for user_id, _, _ in users])).values(backstop_requested_at=now)
        )
        db.session.commit()
    if now.minute == 0:
        queues.queue("sweeps").enqueue(maintenance.prune_battery_history)
        queues.queue("sweeps").enqueue(maintenance.prune_old_texts)
    return len(users)
