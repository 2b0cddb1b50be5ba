"""The dashboard's banners: each state that stops texts or needs the user, in one sentence with its fix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from flask_babel import gettext as _

from app.adapters.providers import configured_platforms, platform_name
from app.models import ConnectionState, User, utcnow
from app.rules.timezones import zone_named
from app.web.dashboard.times import day_and_time


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
            "bad", _("Fitbit has switched off its old service, so we cannot read your trackers. Reconnect with "
                     "Google to keep your alerts: your number, settings and history stay."),
            (Action(_("Reconnect with Google"), url_for("google.login")),) if "google" in platforms else (),
        ))
    elif user.connection_state in (ConnectionState.NEEDS_RECONNECT, ConnectionState.DISCONNECTED):
        name = platform_name(user.platform)
        reconnect = url_for(f"{user.platform.value}.login") if user.platform.value in platforms else None
        if user.connection_state is ConnectionState.DISCONNECTED:
            # The user's own choice ("Disconnect, keep my account"), not a fault: say so, and how to come back.
            said = _("You disconnected %(platform)s: we do not read your trackers, so alerts are off. Your "
                     "number, settings and history are kept.", platform=name)
            found.append(Banner("warn", said, (Action(_("Connect %(platform)s again", platform=name), reconnect),)
                                if reconnect else ()))
        else:
            found.append(Banner(
                "bad", _("We can no longer read your trackers from %(platform)s, so alerts are off.", platform=name),
                (Action(_("Reconnect %(platform)s", platform=name), reconnect),) if reconnect else (),
            ))
    found.extend(phone_banners(user))
    if user.paused_at(utcnow()):
        until = paused_until(user)
        said = (_("Alerts are paused until %(when)s: we send no battery texts.", when=until) if until else
                _("Alerts are paused: we send no battery texts."))
        found.append(Banner("warn", said, (Action(_("Turn them back on"), url_for("dashboard.resume"), post=True),),
                            None if user.paused else user.paused_until))
    return found


def paused_until(user: User) -> str | None:
    """"Tue 1 Dec, 20:00" on the user's clock for a timed pause; None for one until resumed."""
    if user.paused or user.paused_until is None:
        return None
    return day_and_time(user.paused_until, zone_named(user.time_zone))


def phone_banners(user: User) -> list[Banner]:
    """What keeps texts from the phone: no number, no code entered, STOP, or texts that bounce."""
    if not user.phone:
        return [Banner("warn", _("Add your mobile number to get texts."),
                       (Action(_("Add your number"), url_for("phone.phone_form")),))]
    if not user.phone_verified:
        return [Banner("warn", _("Verify your phone: enter the code we texted to %(number)s.", number=user.phone),
                       (Action(_("Enter the code"), url_for("phone.code_form")),))]
    other_number = Action(_("Use another number"), url_for("phone.phone_form"))
    if user.opted_out_at is not None:
        return [Banner(
            # Translators: STOP and START are the reply words of your language from the glossary (STOPP, BAJA, ALTA…).
            "warn", _("You replied STOP, so we send no texts to %(number)s. Turn them back on here (we text you a "
                      "code to confirm), or reply START.", number=user.phone),
            (Action(_("Turn texts back on"), url_for("phone.texts_back_on"), post=True), other_number),
        )]
    if user.phone_failed_at is not None:
        return [Banner(
            "bad", _("Our texts to %(number)s are not getting through. Check that the phone is on and has signal, "
                     "then send yourself a test text.", number=user.phone),
            (Action(_("Send me a test text"), url_for("phone.test_text"), post=True), other_number),
        )]
    return []
