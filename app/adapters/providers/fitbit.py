"""The legacy Fitbit Web API (switched off 2026-11-02; every call then answers 410 Gone)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

import requests

from app.adapters.providers.base import (
    AccessRevoked,
    DeviceStatus,
    Identity,
    MissingPermission,
    PlatformError,
    PlatformRetired,
    PlatformUnavailable,
    RateLimited,
    TokenExpired,
)
from app.adapters.providers.client import PlatformClient


def seconds_to_top_of_hour(now: float) -> float:
    # Fitbit's 150 requests/hour budget resets at the top of the hour.
    return 3600 - now % 3600


def local_time_to_utc(value: str | None, zone: tzinfo) -> datetime | None:
    """Fitbit's lastSyncTime is the user's local wall time without an offset."""
    if not value:
        return None
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        return None
    return local.replace(tzinfo=zone).astimezone(UTC)


class FitbitClient(PlatformClient):
    name = "fitbit"
    display_name = "Fitbit"
    scopes = ("settings", "profile", "activity")
    device_scope = "settings"
    scope_labels = {"settings": "devices and battery", "profile": "time zone", "activity": "sync notifications"}
    # Fitbit answers 403 with errorType insufficient_scope naming no scope; devices need `settings`.
    subscription_collection = "activities"

    def __init__(self, config: Mapping[str, Any], gate):
        super().__init__(config, gate)
        self.api = config["FITBIT_API_URL"]
        self.token_url = self.api + "/oauth2/token"
        self.revoke_url = self.api + "/oauth2/revoke"

    def identify(self, session, token) -> Identity:
        # Fitbit names the user in the token response itself.
        return Identity(platform_user_id=str(token["user_id"]))

    def devices(self, session, platform_user_id, zone) -> list[DeviceStatus]:
        response = self.call(session, platform_user_id, "GET", self.api + "/1/user/-/devices.json")
        return [
            DeviceStatus(
                platform_device_id=str(item.get("id", "")),
                device_type=str(item.get("type") or "TRACKER").upper(),
                product_name=item.get("deviceVersion"),
                battery_status=item.get("battery"),
                # Older trackers send only the battery word: the level is then unknown and the word decides.
                battery_level=level if isinstance(level := item.get("batteryLevel"), int) else None,
                last_sync_at=local_time_to_utc(item.get("lastSyncTime"), zone),
            )
            for item in response.json()
            if item.get("id") is not None
        ]

    def time_zone(self, session, platform_user_id) -> str | None:
        response = self.call(session, platform_user_id, "GET", self.api + "/1/user/-/profile.json")
        return (response.json().get("user") or {}).get("timezone")

    def _subscription_url(self, subscription_id: str) -> str:
        return f"{self.api}/1/user/-/{self.subscription_collection}/apiSubscriptions/{subscription_id}.json"

    def _subscriber_headers(self) -> dict[str, str]:
        subscriber = self.config.get("FITBIT_SUBSCRIBER_ID")
        return {"X-Fitbit-Subscriber-Id": subscriber} if subscriber else {}

    def subscribe(self, session, platform_user_id, subscription_id) -> None:
        """Create the activities subscription; a 409 is fine when the list shows it is ours."""
        try:
            # Fitbit wants a Content-Length on this POST: an empty body gives "0".
            self.call(session, platform_user_id, "POST", self._subscription_url(subscription_id), data=b"",
                      headers=self._subscriber_headers())
        except PlatformError as error:
            if getattr(error, "status", None) != 409:
                raise
            listing = self.call(
                session, platform_user_id, "GET",
                f"{self.api}/1/user/-/{self.subscription_collection}/apiSubscriptions.json",
            ).json()
            ours = {item.get("subscriptionId") for item in listing.get("apiSubscriptions", [])}
            if subscription_id not in ours:
                raise PlatformError(f"another subscription holds this user's {self.subscription_collection}") from None

    def unsubscribe(self, session, platform_user_id, subscription_id) -> None:
        try:
            self.call(session, platform_user_id, "DELETE", self._subscription_url(subscription_id),
                      headers=self._subscriber_headers())
        except PlatformError as error:
            if getattr(error, "status", None) != 404:
                raise

    def note_rate_headers(self, response: requests.Response, platform_user_id: str) -> None:
        remaining = response.headers.get("Fitbit-Rate-Limit-Remaining")
        if remaining is not None and remaining.strip().isdigit() and int(remaining) <= 0:
            self.gate.close_for(platform_user_id, self._reset_seconds(response))

    def _reset_seconds(self, response: requests.Response) -> float:
        for header in ("Fitbit-Rate-Limit-Reset", "Retry-After"):
            value = response.headers.get(header, "").strip()
            if value.isdigit():
                return float(value) + 1
        return seconds_to_top_of_hour(time.time())

    def error_for(self, response: requests.Response) -> PlatformError:
        """Fitbit errors: {"errors":[{"errorType":…,"message":…}],"success":false}."""
        status = response.status_code
        try:
            kinds = {item.get("errorType") for item in response.json().get("errors", [])}
        except (ValueError, AttributeError):
            kinds = set()
        if status == 410:
            error: PlatformError = PlatformRetired("Fitbit Web API answered 410 Gone")
        elif status == 401 and "expired_token" in kinds:
            error = TokenExpired("Fitbit access token expired")
        elif status == 401:
            error = AccessRevoked("Fitbit refused the token")
        elif status == 403:
            error = MissingPermission(self.device_scope)
        elif status == 429:
            error = RateLimited(self._reset_seconds(response))
        elif status >= 500:
            error = PlatformUnavailable(f"Fitbit answered {status}")
        else:
            error = PlatformError(f"Fitbit answered {status}")
        error.status = status
        return error
