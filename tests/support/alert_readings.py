"""Devices as the pure alert rules read them, for the unit tests: a Charge 6 at 60 %, synced five minutes before NOW."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.rules.alerts import DeviceReading

NOW = datetime(2026, 6, 22, 12, 0, tzinfo=UTC)


def reading(device_key: str = "charge-6", **fields) -> DeviceReading:
    """A watched tracker with a known level; any field given replaces the default."""
    defaults = dict(device_key=device_key, device_type="TRACKER", product_name="Charge 6", battery_status="Medium",
                    battery_level=60, last_sync_at=NOW - timedelta(minutes=5))
    return DeviceReading(**{**defaults, **fields})
