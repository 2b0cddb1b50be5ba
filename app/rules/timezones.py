"""The user's clock: a zone name read safely (an unknown zone counts as UTC) and where their day starts."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = ZoneInfo("UTC")


def zone_named(name: str | None) -> ZoneInfo:
    """The zone for an IANA name; a bad one (unknown, malformed, or a tzdata folder like "Europe") is UTC."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UTC


def local_midnight(time_zone: str | None, now: datetime) -> datetime:
    """Midnight today where the user lives, as an aware time comparable with UTC ones."""
    zone = zone_named(time_zone)
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


def clock(at: datetime, time_zone: str | None) -> str:
    """The time as the user's wall clock shows it, like "14:32"."""
    return f"{at.astimezone(zone_named(time_zone)):%H:%M}"
