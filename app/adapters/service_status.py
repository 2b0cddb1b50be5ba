"""Whether the outside services accept our own credentials: each platform's client and the Vonage account.

A refusal of *our* credentials is the operator's to fix, never the user's: it is kept in Redis (shared by
web and workers), logged at ERROR at most once a minute, named by `/healthz`, and cleared by the next
call that gets through. Work held back meanwhile is retried with a backoff that grows with the outage.
"""

from __future__ import annotations

import logging
import time

from flask import current_app
from redis.exceptions import RedisError

from app.extensions import queues

log = logging.getLogger(__name__)

SERVICES = ("fitbit", "google", "vonage")
LOG_EVERY_SECONDS = 60
FIRST_RETRY_SECONDS = 60
LONGEST_RETRY_SECONDS = 900


def _refused_key(service: str) -> str:
    return f"service:refused:{service}"


def credentials_refused(service: str, detail: str) -> None:
    """Record that `service` refused our credentials; the first refusal keeps the outage's start."""
    redis = queues.redis
    redis.set(_refused_key(service), time.time(), nx=True)
    if redis.set(f"service:refused-logged:{service}", 1, nx=True, ex=LOG_EVERY_SECONDS):
        log.error("%s refuses our credentials (%s): fix the setting; held-back work resumes by itself", service,
                  detail)


def credentials_accepted(service: str) -> None:
    """A call went through: the outage, if there was one, is over."""
    if queues.redis.delete(_refused_key(service)):
        log.warning("%s accepts our credentials again", service)


def refused_since(service: str) -> float | None:
    """Since when (epoch seconds) `service` refuses our credentials, or None while it accepts them."""
    value = queues.redis.get(_refused_key(service))
    return float(value) if value is not None else None


def refused_services() -> list[str]:
    """The services refusing our credentials now; an unreachable Redis is health's other answer, not this."""
    try:
        values = queues.redis.mget([_refused_key(service) for service in SERVICES])
    except RedisError:
        return []
    return [service for service, value in zip(SERVICES, values, strict=True) if value is not None]


def retry_delay(service: str) -> float:
    """How long held-back work waits before its next try: half the outage so far, from a minute
    (`REFUSED_RETRY_SECONDS`) to 15 minutes."""
    since = refused_since(service)
    outage = time.time() - since if since is not None else 0.0
    first = float(current_app.config.get("REFUSED_RETRY_SECONDS", FIRST_RETRY_SECONDS))
    return min(LONGEST_RETRY_SECONDS, max(first, outage / 2))


def probe_due(service: str) -> bool:
    """True at most once per retry delay: the sweep's turn to try the held-back work of a refusing service."""
    return bool(queues.redis.set(f"service:probe:{service}", 1, nx=True, px=int(retry_delay(service) * 1000)))
