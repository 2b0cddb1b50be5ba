"""The Google Health API: the Fitbit Web API's successor, on Google OAuth."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import requests

from app.adapters.providers.base import (
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

SCOPE_PREFIX = "https://www.googleapis.com/auth/"
SETTINGS_SCOPE = SCOPE_PREFIX + "googlehealth.settings.readonly"
ACTIVITY_SCOPE = SCOPE_PREFIX + "googlehealth.activity_and_fitness.readonly"
# 300 requests per minute per user: a refused request waits out the minute.
RATE_WINDOW_SECONDS = 60


def parse_rfc3339(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def battery_level(level: Any, status: str | None) -> int | None:
    """Default values are omitted on the wire, so a 0 % battery has no batteryLevel: read a missing level as 0 %
    only with status Empty. With High, Medium or Low it is unknown, and the status decides."""
    if isinstance(level, int) and not isinstance(level, bool):
        return level
    return 0 if (status or "").strip().lower() == "empty" else None


class GoogleHealthClient(PlatformClient):
    name = "google"
    display_name = "Google"
    scopes = (SETTINGS_SCOPE, ACTIVITY_SCOPE)
    device_scope = SETTINGS_SCOPE
    scope_labels = {SETTINGS_SCOPE: "devices and battery", ACTIVITY_SCOPE: "sync notifications"}

    def __init__(self, config: Mapping[str, Any], gate):
        super().__init__(config, gate)
        self.api = config["GOOGLE_HEALTH_API_URL"]
        self.token_url = config["GOOGLE_TOKEN_URL"]
        self.revoke_url = config["GOOGLE_REVOKE_URL"]

    def identify(self, session, token) -> Identity:
        response = self.call(session, None, "GET", self.api + "/v4/users/me/identity")
        body = response.json()
        return Identity(platform_user_id=str(body["healthUserId"]), legacy_user_id=body.get("legacyUserId"))

    def devices(self, session, platform_user_id, zone) -> list[DeviceStatus]:
        devices: list[DeviceStatus] = []
        page_token = None
        while True:
            params = {"pageSize": 100, **({"pageToken": page_token} if page_token else {})}
            body = self.call(session, platform_user_id, "GET", self.api + "/v4/users/me/pairedDevices",
                             params=params).json()
            for item in body.get("pairedDevices", []):
                name = item.get("name") or ""
                if not name:
                    continue
                level = item.get("batteryLevel")
                devices.append(
                    DeviceStatus(
                        # The device id is the last segment of users/me/pairedDevices/{id}.
                        platform_device_id=name.rsplit("/", 1)[-1],
                        device_type=str(item.get("deviceType") or "TRACKER").upper(),
                        product_name=item.get("deviceVersion"),
                        battery_status=item.get("batteryStatus"),
                        battery_level=battery_level(level, item.get("batteryStatus")),
                        last_sync_at=parse_rfc3339(item.get("lastSyncTime")),
                    )
                )
            page_token = body.get("nextPageToken")
            if not page_token:
                return devices

    def time_zone(self, session, platform_user_id) -> str | None:
        return self.call(session, platform_user_id, "GET", self.api + "/v4/users/me/settings").json().get("timeZone")

    def error_for(self, response: requests.Response) -> PlatformError:
        """Google errors: {"error":{"code":…,"message":…,"status":"UNAUTHENTICATED"|…}}."""
        status = response.status_code
        if status == 410:
            error: PlatformError = PlatformRetired("Google Health answered 410 Gone")
        elif status == 401:
            # Expired and revoked look alike here; the token service refreshes once to tell them apart.
            error = TokenExpired("Google Health refused the access token")
        elif status == 403:
            error = MissingPermission(self.device_scope)
        elif status == 429:
            retry = response.headers.get("Retry-After", "").strip()
            error = RateLimited(float(retry) if retry.isdigit() else RATE_WINDOW_SECONDS)
        elif status >= 500:
            error = PlatformUnavailable(f"Google Health answered {status}")
        else:
            error = PlatformError(f"Google Health answered {status}")
        error.status = status
        return error
