"""The wearable platforms behind one small interface: the rest of the app never knows which it talks to."""

from __future__ import annotations

from flask import current_app

from app.adapters.providers.base import (
    AccessRevoked,
    CredentialsRefused,
    DeviceStatus,
    Identity,
    MissingPermission,
    PlatformError,
    PlatformRetired,
    PlatformUnavailable,
    RateGate,
    RateLimited,
    TokenExpired,
)
from app.adapters.providers.client import PlatformClient
from app.adapters.providers.fitbit import FitbitClient
from app.adapters.providers.google import GoogleHealthClient
from app.extensions import queues

CLIENTS: dict[str, type[PlatformClient]] = {"fitbit": FitbitClient, "google": GoogleHealthClient}


def client_for(platform: str) -> PlatformClient:
    """The client for a platform name ("fitbit" or "google"), configured from the current app."""
    name = getattr(platform, "value", platform)
    return CLIENTS[name](current_app.config, RateGate(queues.redis, name))


def platform_name(platform: str) -> str:
    """The platform as people know it: "Fitbit" or "Google"."""
    return CLIENTS[getattr(platform, "value", platform)].display_name


def scopes_for(platform: str) -> tuple[str, ...]:
    """The OAuth scopes sign-in asks the platform for."""
    return CLIENTS[getattr(platform, "value", platform)].scopes


def configured_platforms() -> list[str]:
    """The platforms people can sign in with: those with a client id (both in the sandbox)."""
    return [name for name in ("google", "fitbit") if current_app.config.get(f"{name.upper()}_CLIENT_ID")]


__all__ = [
    "AccessRevoked", "CredentialsRefused", "DeviceStatus", "Identity", "MissingPermission", "PlatformClient",
    "PlatformError", "PlatformRetired", "PlatformUnavailable", "RateLimited", "TokenExpired", "client_for",
    "configured_platforms", "platform_name", "scopes_for",
]
