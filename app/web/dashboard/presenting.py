"""What the dashboard shows, in the user's words and clock: device cards by urgency with charts, a one-line
summary of what to charge, and the conversation of texts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.lists import format_list
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext
from markupsafe import Markup

from app.adapters.providers import platform_name
from app.domain.alerting import alert_level, forecasts
from app.domain.audience import recipients_of
from app.domain.readings import first_reading_times, readings_since
from app.models import Device, User, utcnow
from app.rules.devices import SCALE, URGENCY_ORDER, device_kind, fallback_name, unwatched_because, urgency
from app.rules.drain import Forecast, NoForecast, rounded_time_left
from app.rules.timezones import zone_named
from app.web.dashboard.chart import battery_chart
from app.web.dashboard.conversation import conversation
from app.web.dashboard.times import moment
from app.web.i18n import date_locale

UNWATCHED_NOTES = {
    "scale": lazy_gettext("We don't text about scales. You can turn that on in the settings."),
    "forgotten": lazy_gettext("Not seen for over a month, so we no longer text about it."),
}
URGENCY_LABELS = {
    "empty": lazy_gettext("Empty"), "low": lazy_gettext("Low"), "silent": lazy_gettext("Not syncing"),
    "fine": lazy_gettext("OK"),
}
# The platforms' own battery words, shown beside (or instead of) the level.
BATTERY_STATUSES = {
    "high": lazy_gettext("High"), "medium": lazy_gettext("Medium"), "low": lazy_gettext("Low"),
    "empty": lazy_gettext("Empty"),
}
# A device the platform gives no product name, by its kind (app.rules.devices.fallback_name).
KIND_NAMES = {
    "tracker": lazy_gettext("Tracker"), "watch": lazy_gettext("Watch"), "scale": lazy_gettext("Scale"),
    "device": lazy_gettext("Device"),
}


def dashboard_parts(user: User, days: int, page: int = 1) -> dict:
    now = utcnow()
    zone = zone_named(user.time_zone)
    silent_after = timedelta(hours=int(current_app.config.get("SILENCE_HOURS", 24)))
    history = readings_since(user.devices, now - timedelta(days=days))
    first = first_reading_times(user.devices)
    expected = forecasts(user, user.devices, now)
    cards = sorted((card(device, user, history[device.id], now, zone, days, silent_after, first.get(device.id),
                         expected[device.id]) for device in user.devices), key=lambda shown: shown["order"])
    return {
        "cards": cards,
        "summary": summary(cards),
        "days": days,
        **conversation(user, now, zone, moment, page),
        "last_synced": moment(user.last_synced_at, now, zone),
        "platform_name": platform_name(user.platform),
        "recipients": recipients_of(user),
    }


def card(device: Device, user: User, history: list, now: datetime, zone: ZoneInfo, days: int,
         silent_after: timedelta, first_reading: datetime | None,
         expected: Forecast | NoForecast | None = None) -> dict:
    """One device as its card shows it: how urgent, since when silent, how long it lasts, its chart from its first
    reading with the expected drain after it."""
    name = device_name(device)
    unwatched = unwatched_because(device.device_type, device.last_seen_at, user.include_scales, now)
    level = alert_level(user, device)
    state = urgency(device.battery_status, device.battery_level, level, device.last_seen_at, now, silent_after)
    drawn = expected if isinstance(expected, Forecast) and not unwatched and state != "silent" else None
    drains = drawn is not None
    return {
        "device": device,
        "name": name,
        "alert_level": level,
        "muted": bool(device.muted),
        "outlook": outlook(expected if not unwatched and state != "silent" else None, now),
        "drain_drawn": drains,
        "urgency": None if unwatched else state,
        "urgency_label": None if unwatched else str(URGENCY_LABELS[state]),
        "battery_status": battery_status(device.battery_status),
        "low": state in ("empty", "low"),
        # "silent" means a sync time is known (rules.devices.urgency).
        "silent_for": quiet_for(now - device.last_seen_at)
        if state == "silent" and not unwatched and device.last_seen_at is not None else None,
        "order": (unwatched is not None, device_kind(device.device_type) == SCALE, URGENCY_ORDER.index(state), name),
        "last_sync": moment(device.last_seen_at, now, zone),
        "chart": Markup(battery_chart(history, now, days, zone.key, threshold=level, label=name, since=first_reading,
                                      expected=drawn.level_at if drawn else None,
                                      expected_until=drawn.empty_at if drawn else None)),
        "unwatched": str(UNWATCHED_NOTES[unwatched]) if unwatched else None,
    }


def device_name(device: Device) -> str:
    """The platform's product name, else what kind of device it is ("Watch")."""
    return device.product_name or str(KIND_NAMES[fallback_name(device.device_type)])


def battery_status(status: str | None) -> str | None:
    """The platform's battery word in the page's language; one we do not know, as the platform wrote it."""
    if not status:
        return None
    known = BATTERY_STATUSES.get(status.strip().lower())
    return str(known) if known else status


def outlook(expected: Forecast | NoForecast | None, now: datetime) -> str | None:
    """How long the battery lasts, as the card says it: "About 2 days left", or why we cannot say yet."""
    if isinstance(expected, Forecast):
        if expected.empty_at <= now:
            return None
        unit, count = rounded_time_left((expected.empty_at - now).total_seconds() / 3600)
        if unit == "under an hour":
            left = _("Less than an hour left")
        elif unit == "hours":
            left = ngettext("About %(num)d hour left", "About %(num)d hours left", count)
        else:
            left = ngettext("About %(num)d day left", "About %(num)d days left", count)
        return left if expected.confident else _("%(time_left)s (a rough guess: little history yet)", time_left=left)
    if isinstance(expected, NoForecast) and expected.reason == "too little discharge":
        return _("Not enough history yet to say how long it lasts.")
    return None


def summary(cards: list[dict]) -> str | None:
    """One line of what to do first: "Charge your Pixel Watch 3 now; your Charge 6 soon." None with no device."""
    named = {state: format_list([shown["name"] for shown in cards if shown["urgency"] == state],
                                locale=date_locale()) for state in URGENCY_ORDER}
    parts = []
    # The first part opens the sentence, the others follow it after a semicolon.
    if named["empty"]:
        parts.append(_("Charge your %(names)s now", names=named["empty"]))
    if named["low"]:
        parts.append(_("your %(names)s soon", names=named["low"]) if parts else
                     _("Charge your %(names)s soon", names=named["low"]))
    if named["silent"]:
        parts.append(_("check your %(names)s: not synced lately", names=named["silent"]) if parts else
                     _("Check your %(names)s: not synced lately", names=named["silent"]))
    if parts:
        return "; ".join(parts) + "."
    if any(shown["urgency"] == "fine" for shown in cards):
        return _("All your trackers have enough charge.")
    return None


def quiet_for(silence: timedelta) -> str:
    """"Not synced for 30 hours", in whole days from the second day on."""
    hours = int(silence.total_seconds() // 3600)
    days = hours // 24
    if days < 2:
        return ngettext("Not synced for %(num)d hour", "Not synced for %(num)d hours", hours)
    return ngettext("Not synced for %(num)d day", "Not synced for %(num)d days", days)
