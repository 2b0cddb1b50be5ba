"""What every wearable platform offers us, the errors it can answer with, and its per-user rate gate."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import requests
from redis import Redis


@dataclass(frozen=True)
class DeviceStatus:
    """One paired device as the platform reports it right now."""

    platform_device_id: str
    device_type: str
    product_name: str | None
    battery_status: str | None
    battery_level: int | None
    last_sync_at: datetime | None


@dataclass(frozen=True)
class Identity:
    platform_user_id: str
    legacy_user_id: str | None = None


class PlatformError(Exception):
    """A platform call did not give us what we asked for."""

    # The HTTP status the platform answered with, when there was one.
    status: int | None = None


class TokenExpired(PlatformError):
    """The access token is past its life: refresh and try again."""


class AccessRevoked(PlatformError):
    """The user withdrew consent (or the grant is gone): they must connect again."""


class CredentialsRefused(PlatformError):
    """The platform refused our own client id or secret (invalid_client, unauthorized_client): a deploy's
    mistake or a rotated secret, not the user's doing. Nobody's consent changed; retry once it is fixed."""


class MissingPermission(PlatformError):
    """The user did not grant a scope we need."""

    def __init__(self, scope: str):
        super().__init__(f"permission not granted: {scope}")
        self.scope = scope


class PlatformRetired(PlatformError):
    """The platform answers 410 Gone: the legacy Fitbit Web API was switched off on 2026-11-02."""


class RateLimited(PlatformError):
    """The user's request budget is spent until the platform's window resets."""

    def __init__(self, retry_after: float):
        super().__init__(f"rate limited for {retry_after:.0f} s")
        self.retry_after = retry_after


class PlatformUnavailable(PlatformError):
    """A 5xx, a timeout or a broken connection: try again later."""


class RateGate:
    """Remembers, per user, that a platform said the budget is spent, so nobody calls it until the reset."""

    def __init__(self, redis: Redis, platform: str):
        self.redis = redis
        self.platform = platform

    def _key(self, platform_user_id: str) -> str:
        return f"ratelimit:{self.platform}:{platform_user_id}"

    def check(self, platform_user_id: str) -> None:
        until = self.redis.get(self._key(platform_user_id))
        if until is not None and float(until) > time.time():
            raise RateLimited(float(until) - time.time())

    def close_for(self, platform_user_id: str, seconds: float) -> None:
        seconds = max(1.0, seconds)
        self.redis.set(self._key(platform_user_id), time.time() + seconds, px=int(seconds * 1000) + 1000)


def raise_for_transport(call):
    """Run one HTTP call; connection failures and timeouts become PlatformUnavailable."""
    try:
        return call()
    except (requests.ConnectionError, requests.Timeout) as error:
        raise PlatformUnavailable(type(error).__name__) from None
