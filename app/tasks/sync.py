"""The sync job: after a push, read the devices, store readings, apply the alert rules, queue the texts."""

from __future__ import annotations

import enum
import logging
from datetime import UTC, datetime, timedelta

from flask import current_app
from rq import Retry
from sqlalchemy import select

from app.adapters import events, metrics
from app.adapters.providers import CredentialsRefused, PlatformError, RateLimited, client_for
from app.domain import alerting
from app.domain.readings import record_readings
from app.domain.tokens import with_platform
from app.extensions import db, queues
from app.models import ConnectionState, Platform, User, utcnow
from app.rules import alerts
from app.rules.timezones import zone_named
from app.tasks import coalescing
from app.tasks.connection import handle_connection_error
from app.tasks.delivery import queue_alerts
from app.tasks.job_hashes import JobHashes
from app.tasks.welcome import after_first_reading

log = logging.getLogger(__name__)

# Platform calls that fail for a while (5xx, timeouts) are retried for about an hour and a half.
PLATFORM_RETRY = Retry(max=6, interval=[5, 15, 60, 300, 1800, 3600])
SYNC_JOB_TIMEOUT = 300


class SyncOutcome(enum.Enum):
    SYNCED = "synced"
    UNKNOWN_USER = "unknown user"
    NOT_CONNECTED = "not connected"
    CONNECTION_LOST = "connection lost"
    RESCHEDULED = "rescheduled for the platform's rate limit"
    CREDENTIALS_REFUSED = "held back: the platform refuses our client credentials"


def request_sync(platform: str, platform_user_id: str, pushed_at: datetime | None = None) -> bool:
    """Mark the user as needing a sync and queue one unless one is already waiting; True if queued now.

    `pushed_at` says a platform push asked for it, and when: the sync keeps it as the user's last push.
    """
    name = coalescing.member(platform, platform_user_id)
    # Platforms send several pushes per sync (and repeat them): a short wait lets a burst become one read.
    wait = timedelta(seconds=float(current_app.config.get("SYNC_DEBOUNCE_SECONDS", 2)))
    queue = queues.queue("default")
    # The flag names its job, so the sweep can tell a waiting sync from one lost with a dead worker. The job's hash
    # is made here and saved by the claim only when no sync was waiting: one Redis round trip per push.
    job_id = coalescing.new_job_id()
    now = datetime.now(UTC)
    fields = _sync_jobs.parts(queue, (platform, platform_user_id, pushed_at), now)
    return coalescing.claim(name, job_id, fields, queue, now + wait)


def sync_platform_user(platform: str, platform_user_id: str, pushed_at: datetime | None = None) -> SyncOutcome:
    """The job a push becomes; the platform's user id (and when it pushed) is all the webhook knew."""
    try:
        outcome = sync_pushed_user(platform, platform_user_id, pushed_at)
    except Exception:
        metrics.count("battery_syncs", platform=platform, outcome="error")
        raise
    metrics.count("battery_syncs", platform=platform, outcome=outcome.name.lower())
    return outcome


# The sync job's hash as RQ stores it, made per push without building an RQ Job (job_hashes).
_sync_jobs = JobHashes(sync_platform_user, retry=PLATFORM_RETRY, timeout=SYNC_JOB_TIMEOUT)


def sync_pushed_user(platform: str, platform_user_id: str, pushed_at: datetime | None) -> SyncOutcome:
    name = coalescing.member(platform, platform_user_id)
    generation = coalescing.start(name)
    user = db.session.scalars(
        select(User).where(User.platform == Platform(platform), User.platform_user_id == platform_user_id)
    ).first()
    if user is None:
        coalescing.forget(name)
        return SyncOutcome.UNKNOWN_USER
    if pushed_at is not None and (user.last_push_at is None or pushed_at > user.last_push_at):
        # Recorded here, off the webhook's hot path: the evidence that the user's devices still sync.
        user.last_push_at = pushed_at
        db.session.commit()
    with coalescing.running(name, int(current_app.config.get("SYNC_LOCK_SECONDS", 120))):
        outcome = sync_user(user)
    if outcome not in (SyncOutcome.RESCHEDULED, SyncOutcome.CREDENTIALS_REFUSED):
        coalescing.finish(name, generation)
    return outcome


def sync_user(user: User) -> SyncOutcome:
    """Read the user's devices, store the readings, decide and queue the texts, tell open dashboards."""
    if user.connection_state is not ConnectionState.CONNECTED:
        return SyncOutcome.NOT_CONNECTED
    client = client_for(user.platform)
    zone = zone_named(user.time_zone)
    try:
        statuses = with_platform(user, client, lambda session: client.devices(session, user.platform_user_id, zone))
    except RateLimited as limited:
        reschedule_after_limit(user, limited.retry_after)
        return SyncOutcome.RESCHEDULED
    except CredentialsRefused:
        # Not the user's doing: their state stays, the dirty mark stays, and the sweep retries with backoff.
        return SyncOutcome.CREDENTIALS_REFUSED
    except PlatformError as error:
        if handle_connection_error(user, error):
            return SyncOutcome.CONNECTION_LOST
        raise
    metrics.count("battery_device_reads", platform=user.platform.value)
    now = utcnow()
    devices = record_readings(user, statuses, now)
    decision = alerting.decide_for(user, devices, now, alerts.decide)
    queue_alerts(user, decision)
    alerting.store_states(devices, decision)
    user.last_synced_at = now
    db.session.commit()
    if user.awaiting_first_reading:
        after_first_reading(user)
    events.publish(user.id, {
        "type": "readings",
        "devices": [{"id": device.id, "battery_level": device.battery_level, "battery_status": device.battery_status}
                    for device in devices],
        "texts": len(decision.alerts),
    })
    log.info("user %s synced: %d devices, %d texts", user.id, len(devices), len(decision.alerts))
    return SyncOutcome.SYNCED


def reschedule_after_limit(user: User, retry_after: float) -> None:
    """The platform's budget for this user is spent: one sync after the reset, never a hammering retry."""
    name = coalescing.member(user.platform.value, user.platform_user_id)
    job_id = coalescing.new_job_id()
    coalescing.claim_later(name, job_id, retry_after)
    queues.queue("default").enqueue_in(
        timedelta(seconds=retry_after), sync_platform_user, user.platform.value, user.platform_user_id,
        retry=PLATFORM_RETRY, job_timeout=SYNC_JOB_TIMEOUT, job_id=job_id,
    )
    log.info("user %s is rate limited; next sync in %.0f s", user.id, retry_after)
