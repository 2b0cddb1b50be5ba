"""Battery history: what each sync read from the platform, stored per device, and read back for the charts."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select

from app.adapters.providers import DeviceStatus
from app.extensions import db
from app.models import BatteryReading, Device, User
from app.rules import drain

History = dict[int, list[tuple[datetime, int | None]]]


def record_readings(user: User, statuses: list[DeviceStatus], now: datetime) -> list[Device]:
    """Upsert each reported device; store a reading only when the device reported anew, at the time it did.

    Anew means its last sync moved or its level or status changed: a tracker silent for three days
    keeps its one reading from three days ago instead of copies stamped "now". A reading is stamped
    with the device's own last sync time, or our fetch time when the platform gives none.
    """
    known = {device.platform_device_id: device for device in user.devices}
    only_device = len(statuses) == 1
    seen: list[Device] = []
    for status in statuses:
        device = known.get(status.platform_device_id)
        if device is None:
            device = Device(user=user, platform_device_id=status.platform_device_id)
            db.session.add(device)
            known[status.platform_device_id] = device
        reported_at = min(status.last_sync_at, now) if status.last_sync_at else None
        changed = device.changed_at is None or (device.battery_level, device.battery_status) != (
            status.battery_level, status.battery_status)
        anew = changed or (reported_at is not None and reported_at != device.last_sync_at)
        device.device_type = status.device_type[:16]
        device.product_name = (status.product_name or None) and status.product_name[:80]
        device.battery_status = status.battery_status
        device.battery_level = status.battery_level
        device.last_read_at = now
        if changed:
            device.changed_at = now
        if reported_at is not None:
            device.last_sync_at = reported_at
        device.last_seen_at = reported_at or last_seen_without_sync_time(device, user, only_device)
        if anew:
            device.readings.append(BatteryReading(
                read_at=reported_at or now, battery_level=status.battery_level, battery_status=status.battery_status,
            ))
        seen.append(device)
    db.session.flush()
    return seen


def last_seen_without_sync_time(device: Device, user: User, only_device: bool) -> datetime | None:
    """The platform left lastSyncTime out: the latest evidence we have that the device synced.

    Its reading changing is evidence (a worn tracker drains); a push is too, but only for a user's
    only device, since a push does not say which device synced.
    """
    evidence = [device.last_sync_at, device.changed_at, user.last_push_at if only_device else None]
    return max((moment for moment in evidence if moment is not None), default=None)


def readings_since(devices: list[Device], start: datetime) -> History:
    """Each device's (time, level) readings from `start` on, oldest first."""
    history: History = defaultdict(list)
    if not devices:
        return history
    rows = db.session.execute(
        select(BatteryReading.device_id, BatteryReading.read_at, BatteryReading.battery_level)
        .where(BatteryReading.device_id.in_([device.id for device in devices]), BatteryReading.read_at >= start)
        .order_by(BatteryReading.read_at)
    )
    for device_id, read_at, level in rows:
        history[device_id].append((read_at, level))
    return history


def first_reading_times(devices: list[Device]) -> dict[int, datetime]:
    """When each device's history begins: a new account's chart starts there instead of on empty days."""
    if not devices:
        return {}
    rows = db.session.execute(
        select(BatteryReading.device_id, func.min(BatteryReading.read_at))
        .where(BatteryReading.device_id.in_([device.id for device in devices]))
        .group_by(BatteryReading.device_id)
    ).all()
    return {device_id: first for device_id, first in rows}


def drain_histories(devices: list[Device], now: datetime) -> dict[int, list[drain.Reading]]:
    """Each device's readings over the drain model's look-back, oldest first, as the model takes them."""
    history: dict[int, list[drain.Reading]] = defaultdict(list)
    if not devices:
        return history
    rows = db.session.execute(
        select(BatteryReading.device_id, BatteryReading.read_at, BatteryReading.battery_level,
               BatteryReading.battery_status)
        .where(BatteryReading.device_id.in_([device.id for device in devices]),
               BatteryReading.read_at >= now - drain.LOOKBACK - drain.MAX_GAP)
        .order_by(BatteryReading.read_at)
    )
    for device_id, read_at, level, status in rows:
        history[device_id].append(drain.Reading(read_at, level, status))
    return history
