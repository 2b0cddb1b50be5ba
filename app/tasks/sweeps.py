"""Scheduled work: what pushes cannot catch (a dead tracker cannot push) and what a crash left behind."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from flask import current_app
from rq.job import Job
from sqlalchemy import delete, func, or_, select

from app.adapters import service_status
from app.extensions import db, queues
from app.models import ConnectionState, Device, PendingPush, Platform, User, utcnow
from app.rules.devices import FORGOTTEN_AFTER, SCALE
from app.tasks import coalescing, maintenance, sweep_batches
from app.tasks.delivery import resume_stalled_texts
from app.tasks.reminders import remind_due_users
from app.tasks.setup import queue_account_setup
from app.tasks.sync import request_sync

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 60
# Backstop syncs a sweep hands out, each spread over ten minutes (sweep_batches.BACKSTOP_SPREAD_SECONDS): at
# most 720,000 a day, about 8 syncs a second at the platforms; at a million users, 5 % stale a day is 35 a minute.
BACKSTOP_PER_SWEEP = 500
# Account setups retried per sweep.
SETUP_BATCH = 500
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
    account setups that gave up, hand out the silent devices and the backstop to batch jobs, send the evening
    reminders that are due, and queue the prunes."""
    try:
        now = utcnow()
        return {
            "pending_pushes": drain_pending_pushes(),
            "recovered_syncs": recover_interrupted_syncs(),
            "silent_users_handed_out": hand_out_silent_devices(now),
            "evening_reminders": remind_due_users(),
            "stalled_texts": resume_stalled_texts(),
            "account_setups": resume_account_setups(),
            "backstop_users_handed_out": hand_out_backstop(now),
            "prunes": queue_prunes(now),
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
        ).order_by(User.id).limit(SETUP_BATCH)
    ).all()
    return sum(queue_account_setup(user_id) for user_id in unsubscribed)


def hand_out_silent_devices(now: datetime | None = None) -> int:
    """A tracker that has not synced for SILENCE_HOURS may have died: its owner goes to a batch job
    (`sweep_batches.text_silent_batch`) that sends one text per silence. Returns how many users went out."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=int(current_app.config.get("SILENCE_HOURS", 24)))
    return sweep_batches.hand_out(sweep_batches.SILENT, sweep_batches.text_silent_batch,
                                  silent_device_owners(now, cutoff), now)


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
        .order_by(Device.user_id)
    ))


def hand_out_backstop(now: datetime | None = None) -> int:
    """Users we have not heard from in a day get one sync, in case their pushes went missing: up to
    BACKSTOP_PER_SWEEP of them, oldest first, go to batch jobs (`sweep_batches.backstop_batch`).

    Each user is asked at most once a day whatever the sync then finds, so a long stale list is worked through
    sweep by sweep instead of the same users coming back every minute.
    """
    now = now or utcnow()
    due = db.session.scalars(
        select(User.id).where(*sweep_batches.backstop_due(now))
        .order_by(User.last_synced_at, User.id).limit(BACKSTOP_PER_SWEEP)
    ).all()
    return sweep_batches.hand_out(sweep_batches.BACKSTOP, sweep_batches.backstop_batch, list(due), now)


def queue_prunes(now: datetime) -> int:
    """Bound the stored history (app/tasks/maintenance.py): readings every sweep, so each run deletes one
    minute's worth; texts, far fewer, on the hour."""
    queues.queue("sweeps").enqueue(maintenance.prune_battery_history)
    if now.minute != 0:
        return 1
    queues.queue("sweeps").enqueue(maintenance.prune_old_texts)
    return 2
