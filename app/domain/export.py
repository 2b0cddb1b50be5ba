""""Download my data": everything we keep about an account, as JSON, without a token, a code or its hash."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time

from flask_babel import lazy_gettext
from sqlalchemy import select

from app.domain import outbox
from app.domain.audience import recipients_of
from app.extensions import db
from app.models import BatteryReading, OutgoingMessage, User, utcnow

# What the export holds, section by section, in the words the privacy page uses (it lists these, translated).
SECTIONS = {
    "account": lazy_gettext(
        "the platform you signed in with and your name there, your time zone, your phone number and whether it is "
        "confirmed, stopped or failing, when you joined and when we last read your account"),
    "settings": lazy_gettext(
        "your alert level, quiet hours, whether scales are included and whether texts are paused"),
    "people": lazy_gettext(
        "the other numbers that get your texts, the name they know you by, which texts each gets and its state"),
    "devices": lazy_gettext("each tracker's name, type, battery level and status, and when it last synced"),
    "readings": lazy_gettext("the battery readings of the last 90 days, one per change we saw"),
    "texts": lazy_gettext(
        "every text we sent or meant to send to your numbers: its words (never a code), when, and what became of it"),
}


def when(moment: datetime | time | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def account_data(user: User) -> dict:
    """The whole export, built from the rows: tokens, code hashes and session versions are never read into it."""
    return {
        "exported_at": when(utcnow()),
        "account": {
            "platform": user.platform.value, "display_name": user.display_name, "time_zone": user.time_zone,
            "connection": user.connection_state.value, "connection_changed_at": when(user.connection_changed_at),
            "phone": user.phone, "phone_verified_at": when(user.phone_verified_at),
            "stopped_at": when(user.opted_out_at), "phone_failure": user.phone_failure,
            "created_at": when(user.created_at), "last_synced_at": when(user.last_synced_at),
        },
        "settings": {
            "threshold_percent": user.threshold_percent, "quiet_start": when(user.quiet_start),
            "quiet_end": when(user.quiet_end), "include_scales": user.include_scales, "paused": user.paused,
        },
        "people": [
            {"phone": recipient.phone, "known_as": recipient.known_as, "texts": sorted(recipient.chosen_texts),
             "state": recipient.state, "added_at": when(recipient.created_at),
             "confirmed_at": when(recipient.phone_verified_at), "stopped_at": when(recipient.opted_out_at)}
            for recipient in recipients_of(user)
        ],
        "devices": [device_data(device) for device in sorted(user.devices, key=lambda device: device.id)],
        "readings": readings_data(user),
        "texts": texts_data(user),
    }


def device_data(device) -> dict:
    return {
        "id": device.id, "product_name": device.product_name, "device_type": device.device_type,
        "battery_level": device.battery_level, "battery_status": device.battery_status,
        "last_sync_at": when(device.last_sync_at), "last_seen_at": when(device.last_seen_at),
    }


def readings_data(user: User) -> list[dict]:
    device_ids = [device.id for device in user.devices]
    rows: Iterable[BatteryReading] = db.session.scalars(
        select(BatteryReading).where(BatteryReading.device_id.in_(device_ids))
        .order_by(BatteryReading.device_id, BatteryReading.read_at)
    ) if device_ids else []
    return [{"device_id": row.device_id, "read_at": when(row.read_at), "battery_level": row.battery_level,
             "battery_status": row.battery_status} for row in rows]


def texts_data(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(OutgoingMessage).where(OutgoingMessage.user_id == user.id).order_by(OutgoingMessage.id)
    )
    return [{"kind": row.kind, "to": row.to, "body": outbox.shown_body(row), "status": row.status.value,
             "created_at": when(row.created_at), "submitted_at": when(row.submitted_at),
             "delivered_at": when(row.delivered_at), "error": row.error} for row in rows]
