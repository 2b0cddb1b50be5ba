"""What the dashboard shows, in the user's words and clock: device cards with charts, the latest texts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import select

from app import outbox
from app.dashboard.chart import battery_chart
from app.devices import SCALE, device_kind, fallback_name, needs_charge, unwatched_because
from app.extensions import db
from app.models import MessageStatus, OutgoingMessage, User, utcnow
from app.providers import platform_name
from app.readings import readings_since
from app.timezones import zone_named

TEXTS_SHOWN = 20
UNWATCHED_NOTES = {
    "scale": "We don't text about scales. You can turn that on in the settings.",
    "forgotten": "Not seen for over a month, so we no longer text about it.",
}
TEXT_KINDS = {
    "low": "Battery low", "empty": "Battery empty", "silent": "Not syncing", "welcome": "Welcome",
    "first_reading": "First reading",
    "verification": "Code", "reply": "Answer", "opt_out": "Stopped", "reconnect": "Reconnect",
    "retired": "Fitbit retired", "test": "Test text",
}


def dashboard_parts(user: User, days: int) -> dict:
    now = utcnow()
    zone = zone_named(user.time_zone)
    devices = sorted(
        user.devices, key=lambda device: (device_kind(device.device_type) == SCALE, device.product_name or "")
    )
    history = readings_since(devices, now - timedelta(days=days))
    cards = [
        {
            "device": device,
            "name": device.product_name or fallback_name(device.device_type).capitalize(),
            "last_sync": moment(device.last_seen_at, now, zone),
            "chart": Markup(battery_chart(
                history[device.id], now, days, zone.key, threshold=user.threshold_percent,
                label=device.product_name or "Tracker",
            )),
            "low": needs_charge(device.battery_status, device.battery_level, user.threshold_percent),
            "unwatched": UNWATCHED_NOTES.get(
                unwatched_because(device.device_type, device.last_seen_at, user.include_scales, now)
            ),
        }
        for device in devices
    ]
    texts = db.session.scalars(
        select(OutgoingMessage)
        .where(OutgoingMessage.user_id == user.id)
        .order_by(OutgoingMessage.created_at.desc(), OutgoingMessage.id.desc())
        .limit(TEXTS_SHOWN)
    ).all()
    return {
        "cards": cards,
        "days": days,
        "texts": [text_row(text, now, zone) for text in texts],
        "last_synced": moment(user.last_synced_at, now, zone),
        "platform_name": platform_name(user.platform),
    }


def text_row(text: OutgoingMessage, now: datetime, zone: ZoneInfo) -> dict:
    return {
        "kind": TEXT_KINDS.get(text.kind, text.kind.replace("_", " ").capitalize()),
        # A code must never be readable here: the dashboard is not the phone it proves.
        "body": outbox.shown_body(text),
        "status": text.status.value,
        "status_label": delivery_status(text, now, zone),
        "when": moment(text.created_at, now, zone),
    }


def delivery_status(text: OutgoingMessage, now: datetime, zone: ZoneInfo) -> str:
    """Where the text is, in the user's words."""
    if text.status is MessageStatus.QUEUED:
        if text.send_after is not None and text.send_after > now and text.attempts == 0:
            return f"Held for quiet hours until {text.send_after.astimezone(zone):%H:%M}"
        return "Sending"
    if text.status is MessageStatus.SUBMITTED:
        return "Sent, waiting for the phone network"
    if text.status is MessageStatus.DELIVERED:
        return "Delivered"
    if text.status is MessageStatus.FAILED:
        return "Not delivered"
    return "Not sent" + (f": {text.error}" if text.error else "")


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
