"""The dashboard's banners: each state that stops texts or needs the user, in one sentence with its fix."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from app.models import ConnectionState, User
from app.providers import configured_platforms, platform_name


@dataclass(frozen=True)
class Banner:
    """A state that needs the user to act, in one sentence, with the link that fixes it."""

    tone: str
    message: str
    action: str | None = None
    url: str | None = None


def banners(user: User) -> list[Banner]:
    """One banner per state that stops texts or needs the user, most urgent first."""
    platforms = configured_platforms()
    found: list[Banner] = []
    if user.connection_state is ConnectionState.PLATFORM_RETIRED:
        found.append(Banner(
            "bad", "Fitbit has switched off its old service, so we cannot read your trackers. Reconnect with Google "
            "to keep your alerts: your number, settings and history stay.",
            "Reconnect with Google", url_for("google.login") if "google" in platforms else None,
        ))
    elif user.connection_state in (ConnectionState.NEEDS_RECONNECT, ConnectionState.DISCONNECTED):
        name = platform_name(user.platform)
        found.append(Banner(
            "bad", f"We can no longer read your trackers from {name}, so alerts are off.",
            f"Reconnect {name}", url_for(f"{user.platform.value}.login") if user.platform.value in platforms else None,
        ))
    if not user.phone:
        found.append(Banner("warn", "Add your mobile number to get texts.", "Add your number",
                            url_for("phone.phone_form")))
    elif not user.phone_verified:
        found.append(Banner("warn", f"Verify your phone: enter the code we texted to {user.phone}.", "Enter the code",
                            url_for("phone.code_form")))
    elif user.phone_failed_at is not None:
        found.append(Banner("bad", f"Our texts to {user.phone} are not getting through.", "Check your number",
                            url_for("phone.phone_form")))
    if user.opted_out_at is not None:
        found.append(Banner("warn", "You replied STOP, so we send you no texts. Reply START to turn them back on.",
                            "Or verify your number again", url_for("phone.phone_form")))
    if user.paused:
        found.append(Banner("warn", "Alerts are paused: we send no battery texts.", "Turn them back on",
                            url_for("dashboard.settings")))
    return found
