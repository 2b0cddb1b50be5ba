"""The sync job: after a push, read the devices, store readings, apply the alert rules, queue the texts.

Pushes repeat and come in bursts, so requests are coalesced in Redis: at most one queued sync
per user, started a moment after the first push of a burst, and a push that arrives while
that user's sync runs queues exactly one more. A
per-user "dirty" mark outlives a killed worker; the sweep re-queues what it finds left over.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta, timezone

from flask import current_app
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from app import alerts, live, outbox
from app.extensions import db, queues
from app.models import BatteryReading, ConnectionState, Device, Platform, User, utcnow
from app.providers import DeviceStatus, PlatformError, RateLimited, client_for
from app.tasks.accounts import handle_connection_error
from app.tokens import with_platform

log = logging.getLogger(__name__)

DIRTY = "sync:dirty"
SYNC_RETRY = Retry(max=6, interval=[5, 15, 60, 300, 1800, 3600])
# Mark the user dirty and claim the queued flag in one round trip: the webhook's cost is Redis
# round trips (docs/benchmarks.md). KEYS: dirty hash, queued flag; ARGV: member, job id.
_MARK_AND_CLAIM = """
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'EX', 3600) then return 1 end
return 0
"""
# Clear the dirty mark only if no push arrived since this sync read it.
_CLEAR_IF_UNCHANGED = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
"""


def _member(platform: str, platform_user_id: str) -> str:
    return f"{platform}:{platform_user_id}"


def _queued_key(member: str) -> str:
    return f"sync:queued:{member}"


def _running_key(member: str) -> str:
    return f"sync:running:{member}"


def request_sync(platform: str, platform_user_id: str) -> bool:
    """Mark the user as needing a sync and queue one unless one is already waiting; True if queued now."""
    member = _member(platform, platform_user_id)
    # The flag names its job, so the sweep can tell a waiting sync from one lost with a dead worker.
    job_id = f"sync-{uuid.uuid4().hex}"
    # register_script sends the script's hash (EVALSHA), not its text, on every push.
    mark_and_claim = queues.redis.register_script(_MARK_AND_CLAIM)
    if not mark_and_claim(keys=[DIRTY, _queued_key(member)], args=[member, job_id]):
        return False
    # Platforms send several pushes per sync (and repeat them): a short wait lets a burst
    # become one devices read.
    wait = timedelta(seconds=float(current_app.config.get("SYNC_DEBOUNCE_SECONDS", 2)))
    queues.queue("default").enqueue_in(
        wait, sync_platform_user, platform, platform_user_id, retry=SYNC_RETRY, job_timeout=300, job_id=job_id
    )
    return True


def sync_still_waiting(member: str) -> bool:
    """Is the sync the user's queued flag names still going to run?

    A worker killed after taking the job but before its body ran leaves the flag behind; the job
    then sits in RQ's started registry with no one working on it.
    """
    job_id = queues.redis.get(_queued_key(member))
    if job_id is None:
        return False
    try:
        job = Job.fetch(job_id.decode(), connection=queues.redis)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status in {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}:
        return True
    grace = timedelta(seconds=int(current_app.config.get("SYNC_LOCK_SECONDS", 120)))
    return status is JobStatus.STARTED and job.started_at is not None and utcnow() - job.started_at.replace(
        tzinfo=timezone.utc) < grace


def sync_platform_user(platform: str, platform_user_id: str) -> str:
    """The job a push becomes; the platform's user id is all the webhook knew."""
    redis = queues.redis
    member = _member(platform, platform_user_id)
    # From here on, a new push queues a follow-up sync: it may carry data this one misses.
    redis.delete(_queued_key(member))
    generation = redis.hget(DIRTY, member)
    user = db.session.scalars(
        select(User).where(User.platform == Platform(platform), User.platform_user_id == platform_user_id)
    ).first()
    if user is None:
        redis.hdel(DIRTY, member)
        return "unknown user"
    hold = int(current_app.config.get("SYNC_LOCK_SECONDS", 120))
    with redis.lock(_running_key(member), timeout=hold, blocking_timeout=hold):
        outcome = sync_user(user)
    if outcome != "rescheduled" and generation is not None:
        redis.eval(_CLEAR_IF_UNCHANGED, 1, DIRTY, member, generation)
    return outcome


def sync_user(user: User) -> str:
    if user.connection_state is not ConnectionState.CONNECTED:
        return "not connected"
    client = client_for(user.platform)
    try:
        statuses = with_platform(user, client, lambda session: client.devices(session, user.platform_user_id, user.time_zone))
    except RateLimited as limited:
        reschedule_after_limit(user, limited.retry_after)
        return "rescheduled"
    except PlatformError as error:
        if handle_connection_error(user, error):
            return user.connection_state.value
        raise
    now = utcnow()
    devices = record_readings(user, statuses, now)
    decision = alerts.decide(
        [reading_of(device) for device in devices],
        {str(device.id): state_of(device) for device in devices},
        alert_settings(user),
        now,
        outbox.texts_sent_today(user, now),
    )
    queue_decided_texts(user, decision)
    apply_states(devices, decision)
    user.last_synced_at = now
    db.session.commit()
    # Live dashboard (issue 7): open dashboards show the new readings; publishing never fails the sync.
    live.publish(user.id, {
        "type": "readings",
        "devices": [{"id": device.id, "battery_level": device.battery_level, "battery_status": device.battery_status}
                    for device in devices],
        "texts": len(decision.texts),
    })
    return f"{len(devices)} devices, {len(decision.texts)} texts"


def reschedule_after_limit(user: User, retry_after: float) -> None:
    """The platform's budget for this user is spent: one sync after the reset, never a hammering retry."""
    member = _member(user.platform.value, user.platform_user_id)
    job_id = f"sync-{uuid.uuid4().hex}"
    queues.redis.set(_queued_key(member), job_id, ex=int(retry_after) + 3600)
    queues.queue("default").enqueue_in(
        timedelta(seconds=retry_after), sync_platform_user, user.platform.value, user.platform_user_id,
        retry=SYNC_RETRY, job_timeout=300, job_id=job_id,
    )
    log.info("user %s is rate limited; next sync in %.0f s", user.id, retry_after)


def record_readings(user: User, statuses: list[DeviceStatus], now) -> list[Device]:
    """Upsert each reported device and store one battery reading per device per sync."""
    known = {device.platform_device_id: device for device in user.devices}
    seen: list[Device] = []
    for status in statuses:
        device = known.get(status.platform_device_id)
        if device is None:
            device = Device(user=user, platform_device_id=status.platform_device_id)
            db.session.add(device)
            known[status.platform_device_id] = device
        device.device_type = status.device_type[:16]
        device.product_name = (status.product_name or None) and status.product_name[:80]
        device.battery_status = status.battery_status
        device.battery_level = status.battery_level
        device.last_sync_at = status.last_sync_at or device.last_sync_at
        device.last_read_at = now
        device.readings.append(
            BatteryReading(read_at=now, battery_level=status.battery_level, battery_status=status.battery_status)
        )
        seen.append(device)
    db.session.flush()
    return seen


def reading_of(device: Device) -> alerts.DeviceReading:
    return alerts.DeviceReading(
        device_key=str(device.id),
        device_type=device.device_type,
        product_name=device.product_name,
        battery_status=device.battery_status,
        battery_level=device.battery_level,
        last_sync_at=device.last_sync_at,
    )


def state_of(device: Device) -> alerts.EpisodeState:
    return alerts.EpisodeState(
        episode=device.low_episode or 0, in_low=bool(device.in_low), empty_sent=bool(device.empty_sent),
        silence=device.silence or 0, silent_sent=bool(device.silent_sent),
    )


def alert_settings(user: User) -> alerts.AlertSettings:
    return alerts.AlertSettings(
        threshold_percent=user.threshold_percent,
        quiet_start=user.quiet_start,
        quiet_end=user.quiet_end,
        time_zone=user.time_zone,
        include_scales=user.include_scales,
        paused=user.paused,
        phone_verified=user.phone_verified,
        opted_out=user.opted_out_at is not None,
        connected=user.connection_state is ConnectionState.CONNECTED,
        daily_cap=int(current_app.config.get("DAILY_TEXT_CAP", 5)),
    )


def queue_decided_texts(user: User, decision: alerts.AlertDecision) -> None:
    """Each text's key is (user, device, episode, kind): a rerun after a crash decides the same key."""
    for text in decision.texts:
        key = f"{text.kind}:{user.id}:{text.device_key}:{text.episode}"
        outbox.queue_text(user, text.kind, key, text.body, text.send_after)
    if decision.dropped_for_cap:
        log.info("user %s reached the daily cap; %d texts not sent", user.id, decision.dropped_for_cap)


def apply_states(devices: list[Device], decision: alerts.AlertDecision) -> None:
    for device in devices:
        state = decision.states.get(str(device.id))
        if state is None:
            continue
        device.low_episode = state.episode
        device.in_low = state.in_low
        device.empty_sent = state.empty_sent
        device.silence = state.silence
        device.silent_sent = state.silent_sent
