"""The battery and device rules the rest of the app asks: is this device watched, is it low, what kind is it.

Pure: alerts, texts, the dashboard and the sweeps all take their answer from here, so they agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

Battery = Literal["empty", "low", "charged", "neither"]
Unwatched = Literal["scale", "forgotten"]

SCALE = "SCALE"
# Both platforms keep long-gone devices in their lists for good: a month without a sync means forgotten.
FORGOTTEN_AFTER = timedelta(days=30)
# Percentage points above the alert level that end a low-battery episode.
CHARGED_MARGIN = 10
FALLBACK_NAMES = {"TRACKER": "tracker", "WATCH": "watch", "SCALE": "scale"}
UNKNOWN_KIND_NAME = "device"


def device_kind(device_type: str | None) -> str:
    """The platform's device type in one spelling: "scale", "Scale" and " SCALE" are all SCALE."""
    return (device_type or "").strip().upper()


def unwatched_because(
    device_type: str | None, last_sync_at: datetime | None, include_scales: bool, now: datetime
) -> Unwatched | None:
    """Why we do not report on this device, or None when we do: no scales unless the user asked for them,
    none forgotten for over a month.

    Google Health may omit lastSyncTime: such a device is judged on its battery alone. The sweep's SQL
    form of this rule is `tasks.sweeps.silent_device_owners`; tests hold the two to the same answers.
    """
    if device_kind(device_type) == SCALE and not include_scales:
        return "scale"
    if last_sync_at is not None and now - last_sync_at > FORGOTTEN_AFTER:
        return "forgotten"
    return None


def is_watched(device_type: str | None, last_sync_at: datetime | None, include_scales: bool, now: datetime) -> bool:
    """Whether alerts, texts and the sweeps report on this device at all (see `unwatched_because`)."""
    return unwatched_because(device_type, last_sync_at, include_scales, now) is None


def known_level(level: int | None) -> int | None:
    """A percentage we can trust: 0 to 100, else unknown."""
    return level if level is not None and 0 <= level <= 100 else None


def battery_state(status: str | None, level: int | None, threshold_percent: int) -> Battery:
    """Classify a reading; a known level decides "charged", the status only stands in without one.

    So at threshold 20, status Medium with level 25 is neither low nor charged: it keeps the
    episode as it is, until the level reaches 30 (or 100 when threshold + 10 is beyond it).
    """
    word = (status or "").strip().lower()
    level = known_level(level)
    if word == "empty" or level == 0:
        return "empty"
    if word == "low" or (level is not None and level <= threshold_percent):
        return "low"
    charged = level >= min(threshold_percent + CHARGED_MARGIN, 100) if level is not None else word in ("high", "medium")
    return "charged" if charged else "neither"


def needs_charge(status: str | None, level: int | None, threshold_percent: int) -> bool:
    """Low or empty by the same rule the alerts use: what the dashboard marks in red."""
    return battery_state(status, level, threshold_percent) in ("low", "empty")


def fallback_name(device_type: str | None) -> str:
    """What to call a device the platform gives no product name: "tracker", "watch", "scale" or "device"."""
    return FALLBACK_NAMES.get(device_kind(device_type), UNKNOWN_KIND_NAME)


Urgency = Literal["empty", "low", "silent", "fine"]
URGENCY_ORDER: tuple[Urgency, ...] = ("empty", "low", "silent", "fine")


def urgency(status: str | None, level: int | None, threshold_percent: int, last_seen_at: datetime | None,
            now: datetime, silent_after: timedelta) -> Urgency:
    """How soon the user must act on a device, for the dashboard's order: empty, then low (both by the alert
    rule), then silent (no sync for `silent_after`, as the silence text counts it; its battery may be flat),
    then fine. A device with no known sync time cannot be judged silent."""
    battery = battery_state(status, level, threshold_percent)
    if battery in ("empty", "low"):
        return battery
    if last_seen_at is not None and now - last_seen_at >= silent_after:
        return "silent"
    return "fine"
