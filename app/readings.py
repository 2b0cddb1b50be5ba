"""Battery history: what each sync read from the platform, stored per device, and read back for the charts."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import BatteryReading, Device, User
from app.providers import DeviceStatus

History = dict[int, list[tuple[datetime, int | None]]]


def record_readings(user: User, statuses: list[DeviceStatus], now: datetime) -> list[Device]:
    """Upsert each reported device and store one battery reading per device per sync."""
    known = {device.platform_device_id: device for device in user.devices}
    seen: list[Device] = []
    for status in statuses:
        device = known.get(status.platform_device_id)
        if device is None:
            device = Device(user=user, platform_device_id=status.platform_device_id)
            db.session.add(device)
            known[status.platform_device_id] = device
        device.device_type = status.device_type[:16]
        device.product_name = (status.product_name or None) and status.product_name[:80]
        device.battery_status = status.battery_status
        device.battery_level = status.battery_level
        device.last_sync_at = status.last_sync_at or device.last_sync_at
        device.last_read_at = now
        device.readings.append(
            BatteryReading(read_at=now, battery_level=status.battery_level, battery_status=status.battery_status)
        )
        seen.append(device)
    db.session.flush()
    return seen


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
