"""The dashboard's banners: each state that stops texts or needs the user, in one sentence with its fix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import url_for

from app.models import ConnectionState, User, utcnow
from app.providers import configured_platforms, platform_name
from app.timezones import zone_named


@dataclass(frozen=True)
class Action:
    """What the user can do about a banner: a link, or a button that posts (`post`) and does it at once."""

    label: str
    url: str
    post: bool = False


@dataclass(frozen=True)
class Banner:
    """A state that needs the user to act, in one sentence, with what fixes it; never a link back to itself."""

    tone: str
    message: str
    actions: tuple[Action, ...] = ()
    # When the state ends by itself (a timed pause): an open dashboard fetches its banners again then.
    ends_at: datetime | None = None


def banners(user: User) -> list[Banner]:
    """One banner per state that stops texts or needs the user, most urgent first."""
    platforms = configured_platforms()
    found: list[Banner] = []
    if user.connection_state is ConnectionState.PLATFORM_RETIRED:
        found.append(Banner(
            "bad", "Fitbit has switched off its old service, so we cannot read your trackers. Reconnect with Google "
            "to keep your alerts: your number, settings and history stay.",
            (Action("Reconnect with Google", url_for("google.login")),) if "google" in platforms else (),
        ))
    elif user.connection_state in (ConnectionState.NEEDS_RECONNECT, ConnectionState.DISCONNECTED):
        name = platform_name(user.platform)
        reconnect = url_for(f"{user.platform.value}.login") if user.platform.value in platforms else None
        if user.connection_state is ConnectionState.DISCONNECTED:
            # The user's own choice ("Disconnect, keep my account"), not a fault: say so, and how to come back.
            said = (f"You disconnected {name}: we do not read your trackers, so alerts are off. Your number, "
                    "settings and history are kept.")
            found.append(Banner("warn", said, (Action(f"Connect {name} again", reconnect),) if reconnect else ()))
        else:
            found.append(Banner(
                "bad", f"We can no longer read your trackers from {name}, so alerts are off.",
                (Action(f"Reconnect {name}", reconnect),) if reconnect else (),
            ))
    found.extend(phone_banners(user))
    if user.paused_at(utcnow()):
        found.append(Banner("warn", f"Alerts are paused{paused_until(user)}: we send no battery texts.",
                            (Action("Turn them back on", url_for("dashboard.resume"), post=True),),
                            None if user.paused else user.paused_until))
    return found


def paused_until(user: User) -> str:
    """" until Tue 1 Dec, 20:00" on the user's clock for a timed pause; nothing for one until resumed."""
    if user.paused or user.paused_until is None:
        return ""
    local = user.paused_until.astimezone(zone_named(user.time_zone))
    return f" until {local:%a} {local.day} {local:%b}, {local:%H:%M}"


def phone_banners(user: User) -> list[Banner]:
    """What keeps texts from the phone: no number, no code entered, STOP, or texts that bounce."""
    if not user.phone:
        return [Banner("warn", "Add your mobile number to get texts.", (Action("Add your number",
                                                                                url_for("phone.phone_form")),))]
    if not user.phone_verified:
        return [Banner("warn", f"Verify your phone: enter the code we texted to {user.phone}.",
                       (Action("Enter the code", url_for("phone.code_form")),))]
    other_number = Action("Use another number", url_for("phone.phone_form"))
    if user.opted_out_at is not None:
        return [Banner(
            "warn", f"You replied STOP, so we send no texts to {user.phone}. Turn them back on here (we text you "
            "a code to confirm), or reply START.",
            (Action("Turn texts back on", url_for("phone.texts_back_on"), post=True), other_number),
        )]
    if user.phone_failed_at is not None:
        return [Banner(
            "bad", f"Our texts to {user.phone} are not getting through. Check that the phone is on and has signal, "
            "then send yourself a test text.",
            (Action("Send me a test text", url_for("phone.test_text"), post=True), other_number),
        )]
    return []
