"""The HTTP side shared by both platforms: calls through the rate gate, token refresh and revocation."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

import requests
from requests.auth import HTTPBasicAuth

from app.adapters import metrics
from app.adapters.providers.base import (
    AccessRevoked,
    CredentialsRefused,
    DeviceStatus,
    Identity,
    PlatformError,
    PlatformRetired,
    PlatformUnavailable,
    RateGate,
    RateLimited,
    raise_for_transport,
)

# RFC 6749 §5.2: these name our client, not the user's grant.
CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client"})


def oauth_error_code(response: requests.Response) -> str | None:
    """The token endpoint's error code: Google's {"error": "…"} or Fitbit's {"errors": [{"errorType": "…"}]}."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("error"), str):
        return body["error"]
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return errors[0].get("errorType")
    return None


def refresh_refused(response: requests.Response) -> PlatformError:
    """Only invalid_grant means the user's consent is gone; a refused client is ours to fix."""
    code = oauth_error_code(response)
    if code == "invalid_grant":
        return AccessRevoked("the platform refused the refresh token (invalid_grant)")
    if code in CLIENT_ERRORS or response.status_code == 401:
        return CredentialsRefused(f"the token endpoint refused our client ({code or response.status_code})")
    return PlatformError(f"refresh refused with {response.status_code} ({code or 'no error code'})")


class PlatformClient:
    """One wearable platform as our workers see it; subclasses fill in the URLs and the wire formats."""

    name: str
    # How the product names the platform to people ("Connect Google").
    display_name: str
    scopes: tuple[str, ...]
    # Without this scope we cannot read batteries: sign-in asks the user to grant it.
    device_scope: str
    scope_labels: Mapping[str, str]
    token_url: str
    revoke_url: str

    def __init__(self, config: Mapping[str, Any], gate: RateGate):
        self.config = config
        self.gate = gate
        self.timeout = float(config.get("PLATFORM_TIMEOUT_SECONDS", 10))

    # -- what the rest of the app asks -------------------------------------------------
    def identify(self, session: requests.Session, token: Mapping[str, Any]) -> Identity:
        raise NotImplementedError

    def devices(self, session: requests.Session, platform_user_id: str, zone: tzinfo) -> list[DeviceStatus]:
        """Every paired device with its battery; `zone` reads platforms that report local wall times."""
        raise NotImplementedError

    def time_zone(self, session: requests.Session, platform_user_id: str) -> str | None:
        raise NotImplementedError

    def subscribe(self, session: requests.Session, platform_user_id: str, subscription_id: str) -> None:
        """Ask for pushes about this user; platforms with a project-level subscriber need nothing."""

    def unsubscribe(self, session: requests.Session, platform_user_id: str, subscription_id: str) -> None:
        """Stop pushes about this user, where the platform has per-user subscriptions."""

    def error_for(self, response: requests.Response) -> PlatformError:
        raise NotImplementedError

    def note_rate_headers(self, response: requests.Response, platform_user_id: str) -> None:
        """Platforms that announce their remaining budget close the gate before it runs out."""

    # -- shared mechanics --------------------------------------------------------------
    @property
    def client_auth(self) -> HTTPBasicAuth:
        prefix = self.name.upper()
        return HTTPBasicAuth(self.config[f"{prefix}_CLIENT_ID"], self.config[f"{prefix}_CLIENT_SECRET"])

    def granted_scopes(self, token: Mapping[str, Any]) -> set[str]:
        scope = token.get("scope") or ""
        return set(scope.split() if isinstance(scope, str) else scope)

    def missing_scopes(self, token: Mapping[str, Any]) -> list[str]:
        granted = self.granted_scopes(token)
        return [scope for scope in self.scopes if scope not in granted]

    def call(
        self, session: requests.Session, platform_user_id: str | None, method: str, url: str, **options: Any
    ) -> requests.Response:
        """Every data call: refuse while the user's budget is spent, then map the answer to our errors.

        Only the sign-in identity call has no user id yet, and so no gate.
        """
        if platform_user_id is not None:
            self.gate.check(platform_user_id)
        response = self.answer(lambda: session.request(method, url, timeout=self.timeout, **options))
        if platform_user_id is not None:
            self.note_rate_headers(response, platform_user_id)
        if response.status_code >= 400:
            error = self.error_for(response)
            if isinstance(error, RateLimited) and platform_user_id is not None:
                self.gate.close_for(platform_user_id, error.retry_after)
            raise self.counted(error)
        return response

    def answer(self, send) -> requests.Response:
        """Send one request, counted by outcome (2xx, 401, 429, 5xx, timeout, …) for the operator page."""
        try:
            response = raise_for_transport(send)
        except PlatformUnavailable as error:
            metrics.platform_call(self.name, metrics.call_outcome(None, str(error)))
            raise self.counted(error) from None
        metrics.platform_call(self.name, metrics.call_outcome(response.status_code))
        return response

    def counted(self, error: PlatformError) -> PlatformError:
        """The error, counted by kind for /metrics (`rate_limited`, `access_revoked`, …)."""
        kind = "".join(f"_{char.lower()}" if char.isupper() else char for char in type(error).__name__).lstrip("_")
        metrics.count("battery_platform_errors", platform=self.name, kind=kind)
        return error

    def refresh(self, token: Mapping[str, Any]) -> dict[str, Any]:
        """Trade the refresh token for a new access token (HTTP Basic client auth)."""
        refresh_token = token.get("refresh_token")
        if not refresh_token:
            raise AccessRevoked("no refresh token stored")
        response = self.answer(
            lambda: requests.post(
                self.token_url,
                data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                auth=self.client_auth,
                timeout=self.timeout,
            )
        )
        if response.status_code == 410:
            raise self.counted(PlatformRetired("token endpoint answered 410 Gone"))
        if response.status_code >= 500 or response.status_code == 429:
            raise self.counted(PlatformUnavailable(f"token endpoint answered {response.status_code}"))
        if response.status_code >= 400:
            raise self.counted(refresh_refused(response))
        fresh = response.json()
        # Google does not send a new refresh token on refresh: the old one stays valid.
        fresh.setdefault("refresh_token", refresh_token)
        fresh["expires_at"] = time.time() + float(fresh.get("expires_in", 3600))
        return fresh

    def revoke(self, token: Mapping[str, Any]) -> None:
        """Withdraw our access at the platform; revoking the refresh token ends the whole grant."""
        value = token.get("refresh_token") or token.get("access_token")
        response = self.answer(
            lambda: requests.post(self.revoke_url, data={"token": value}, auth=self.client_auth, timeout=self.timeout)
        )
        if response.status_code == 410:
            raise PlatformRetired("revoke endpoint answered 410 Gone")
        if response.status_code >= 500:
            raise PlatformUnavailable(f"revoke answered {response.status_code}")
