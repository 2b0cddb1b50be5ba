"""What the dashboard shows, in the user's words and clock: device cards by urgency with charts, a one-line
summary of what to charge, and the conversation of texts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from markupsafe import Markup

from app.alerting import alert_level, forecasts
from app.audience import recipients_of
from app.dashboard.chart import battery_chart
from app.dashboard.conversation import conversation
from app.devices import SCALE, URGENCY_ORDER, device_kind, fallback_name, unwatched_because, urgency
from app.drain import Forecast, NoForecast, time_left
from app.models import Device, User, utcnow
from app.providers import platform_name
from app.readings import first_reading_times, readings_since
from app.timezones import zone_named

UNWATCHED_NOTES = {
    "scale": "We don't text about scales. You can turn that on in the settings.",
    "forgotten": "Not seen for over a month, so we no longer text about it.",
}
URGENCY_LABELS = {"empty": "Empty", "low": "Low", "silent": "Not syncing", "fine": "OK"}


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
    name = device.product_name or fallback_name(device.device_type).capitalize()
    unwatched = unwatched_because(device.device_type, device.last_seen_at, user.include_scales, now)
    level = alert_level(user, device)
    state = urgency(device.battery_status, device.battery_level, level, device.last_seen_at, now, silent_after)
    drains = isinstance(expected, Forecast) and not unwatched and state != "silent"
    return {
        "device": device,
        "name": name,
        "alert_level": level,
        "muted": bool(device.muted),
        "outlook": outlook(expected if not unwatched and state != "silent" else None, now),
        "urgency": None if unwatched else state,
        "urgency_label": None if unwatched else URGENCY_LABELS[state],
        "low": state in ("empty", "low"),
        "silent_for": quiet_for(now - device.last_seen_at) if state == "silent" and not unwatched else None,
        "order": (unwatched is not None, device_kind(device.device_type) == SCALE, URGENCY_ORDER.index(state), name),
        "last_sync": moment(device.last_seen_at, now, zone),
        "chart": Markup(battery_chart(history, now, days, zone.key, threshold=level, label=name, since=first_reading,
                                      expected=expected.level_at if drains else None,
                                      expected_until=expected.empty_at if drains else None)),
        "unwatched": UNWATCHED_NOTES.get(unwatched),
    }


def outlook(expected: Forecast | NoForecast | None, now: datetime) -> str | None:
    """How long the battery lasts, as the card says it: "About 2 days left", or why we cannot say yet."""
    if isinstance(expected, Forecast):
        if expected.empty_at <= now:
            return None
        left = time_left((expected.empty_at - now).total_seconds() / 3600)
        return left[0].upper() + left[1:] + ("" if expected.confident else " (a rough guess: little history yet)")
    if isinstance(expected, NoForecast) and expected.reason == "too little discharge":
        return "Not enough history yet to say how long it lasts."
    return None


def summary(cards: list[dict]) -> str | None:
    """One line of what to do first: "Charge your Pixel Watch 3 now; your Charge 6 soon." None with no device."""
    named = {state: [shown["name"] for shown in cards if shown["urgency"] == state] for state in URGENCY_ORDER}
    parts = []
    if named["empty"]:
        parts.append(f"Charge your {' and '.join(named['empty'])} now")
    if named["low"]:
        parts.append(f"{'your' if parts else 'Charge your'} {' and '.join(named['low'])} soon")
    if named["silent"]:
        parts.append(f"{'check' if parts else 'Check'} your {' and '.join(named['silent'])}: not synced lately")
    if parts:
        return "; ".join(parts) + "."
    if any(shown["urgency"] == "fine" for shown in cards):
        return "All your trackers have enough charge."
    return None


def quiet_for(silence: timedelta) -> str:
    hours = int(silence.total_seconds() // 3600)
    days = hours // 24
    return f"{hours} hours" if days < 2 else f"{days} days"


def moment(at: datetime | None, now: datetime, zone: ZoneInfo) -> dict | None:
    """A time as people say it ("3 hours ago") and as the clock on their wall shows it."""
    if at is None:
        return None
    local = at.astimezone(zone)
    return {"iso": at.isoformat(), "ago": ago(at, now), "local": f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"}


def ago(at: datetime, now: datetime) -> str:
    seconds = (now - at).total_seconds()
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"
