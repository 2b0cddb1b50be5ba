"""The operator page's figures, read from the database and Redis: people, texts, platforms, queues, sweeps."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from rq.job import Job
from sqlalchemy import case, func, select

from app.adapters import metrics, service_status
from app.extensions import QUEUE_NAMES, db, queues
from app.models import ConnectionState, MessageStatus, OutgoingMessage, PendingPush, User, utcnow

TEXT_WINDOWS = (("last 24 hours", timedelta(hours=24)), ("last 7 days", timedelta(days=7)))
# A number's state as the operator counts it, the first that applies.
PHONE_STATES = ("no number", "awaiting its code", "opted out (STOP)", "not getting through", "confirmed")


@dataclass(frozen=True)
class TextFigures:
    window: str
    by_kind: dict[str, dict[str, int]]
    failure_reasons: list[tuple[str, int]]


def users_by_connection() -> dict[str, int]:
    counts = dict(db.session.execute(select(User.connection_state, func.count()).group_by(User.connection_state)).all())
    return {state.value: counts.get(state, 0) for state in ConnectionState}


def users_by_phone() -> dict[str, int]:
    state = case(
        (User.phone.is_(None), PHONE_STATES[0]),
        (User.phone_verified_at.is_(None), PHONE_STATES[1]),
        (User.opted_out_at.is_not(None), PHONE_STATES[2]),
        (User.phone_failed_at.is_not(None), PHONE_STATES[3]),
        else_=PHONE_STATES[4],
    )
    counts: dict[str, int] = dict(db.session.execute(select(state, func.count()).group_by(state)).all())
    return {name: counts.get(name, 0) for name in PHONE_STATES}


def texts(now: datetime | None = None) -> list[TextFigures]:
    """Texts written in each window by kind and status, and why the failed and skipped ones did not go."""
    now = now or utcnow()
    figures = []
    for window, length in TEXT_WINDOWS:
        since = OutgoingMessage.created_at >= now - length
        rows = db.session.execute(
            select(OutgoingMessage.kind, OutgoingMessage.status, func.count())
            .where(since).group_by(OutgoingMessage.kind, OutgoingMessage.status)
        ).all()
        by_kind: dict[str, dict[str, int]] = {}
        for kind, status, number in sorted(rows, key=lambda row: row[0]):
            by_kind.setdefault(kind, dict.fromkeys((each.value for each in MessageStatus), 0))[status.value] = number
        reasons = db.session.execute(
            select(OutgoingMessage.error, func.count())
            .where(since, OutgoingMessage.status.in_((MessageStatus.FAILED, MessageStatus.SKIPPED)))
            .group_by(OutgoingMessage.error).order_by(func.count().desc(), OutgoingMessage.error)
        ).all()
        figures.append(TextFigures(window, by_kind, [(reason or "no reason kept", n) for reason, n in reasons]))
    return figures


def credentials() -> dict[str, str]:
    """For each outside service: whether it accepts our credentials, since when it refuses them, or unused."""
    config = current_app.config
    used = {"fitbit": bool(config.get("FITBIT_CLIENT_ID")), "google": bool(config.get("GOOGLE_CLIENT_ID")),
            "vonage": config.get("SMS_BACKEND") == "vonage"}
    states = {}
    for service in service_status.SERVICES:
        since = service_status.refused_since(service)
        if since is not None:
            states[service] = f"refused since {datetime.fromtimestamp(since, UTC):%Y-%m-%d %H:%M:%S} UTC"
        else:
            states[service] = "accepted" if used[service] else "not used"
    return states


def platform_calls() -> dict[str, dict[str, int]]:
    return metrics.platform_calls_last_hour()


def queue_depths() -> list[dict[str, object]]:
    depths = []
    for name in QUEUE_NAMES:
        queue = queues.queue(name)
        depths.append({
            "queue": name, "waiting": queue.count, "scheduled": queue.scheduled_job_registry.count,
            "running": queue.started_job_registry.count, "failed": queue.failed_job_registry.count,
        })
    return depths


# Failed jobs read per queue for the tally, newest first: the page stays quick after a bad day.
FAILED_JOBS_READ = 200


def failed_jobs(limit: int = 20) -> list[tuple[str, str, int]]:
    """The latest failed jobs by job and exception type: never their arguments or messages, which can hold
    a number."""
    tally: Counter[tuple[str, str]] = Counter()
    for name in QUEUE_NAMES:
        registry = queues.queue(name).failed_job_registry
        for job in Job.fetch_many(registry.get_job_ids(0, FAILED_JOBS_READ - 1, desc=True), queues.redis):
            if job is not None:
                assert job.func_name is not None  # every job we enqueue names its function
                result = job.latest_result()
                trace = (result.exc_string or "") if result is not None else ""
                error = trace.strip().splitlines()[-1:] or ["unknown"]
                tally[(job.func_name.rpartition(".")[2], error[0].partition(":")[0])] += 1
    return [(function, error, n) for (function, error), n in tally.most_common(limit)]


def last_sweep() -> dict[str, object] | None:
    """The latest sweep that finished in the last few minutes (RQ keeps a sweep's result five intervals)."""
    registry = queues.queue("sweeps").finished_job_registry
    sweeps = [(job.ended_at, job.started_at, job) for job in Job.fetch_many(registry.get_job_ids(), queues.redis)
              if job is not None and job.id.startswith("sweep-") and job.ended_at and job.started_at]
    if not sweeps:
        return None
    ended_at, started_at, latest = max(sweeps, key=lambda sweep: sweep[0])
    return {"ended_at": ended_at, "seconds": (ended_at - started_at).total_seconds(),
            "did": latest.return_value() or {}}


def pending_pushes() -> tuple[int, datetime | None]:
    """Pushes kept in the database during a Redis outage, not yet turned into syncs, and the oldest one's time."""
    count, oldest = db.session.execute(select(func.count(PendingPush.id), func.min(PendingPush.received_at))).one()
    return count, oldest
