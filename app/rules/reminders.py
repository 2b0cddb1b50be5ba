"""The evening reminder, pure: at the user's chosen time, one text naming every tracker expected to run low
before the same time tomorrow, so it goes on the charger tonight instead of failing tomorrow afternoon.

Which trackers, and when: its words are `app.texts.alert_texts`'s, like every alert's."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.rules.alerts import Alert, AlertDevice, AlertSettings, DeviceReading, deliverable, quiet_hours_end
from app.rules.devices import is_watched
from app.rules.timezones import zone_named

# A reminder found later than this after its moment (a worker down all evening) is not sent at all.
LATE_LIMIT = timedelta(hours=1)
# Expected to get there up to this long after the same time tomorrow still counts: a forecast is a guess, and
# a reminder too many costs less than a tracker dead by the afternoon (docs/prediction.md, the backtest).
SAFETY_MARGIN = timedelta(minutes=30)
EVENING = "evening"  # the reminder's device key: one text per user per evening, whatever it names


@dataclass(frozen=True)
class Candidate:
    """A device as the reminder weighs it: the reading, its open low episode, when it should reach its alert
    level (None when the drain model gave no estimate)."""

    reading: DeviceReading
    level: int
    reaches_alert_at: datetime | None
    in_low: bool = False


def last_moment(remind_at: time, time_zone: str, now: datetime) -> datetime:
    """The latest reminder moment at or before `now`, on the user's clock (zoneinfo places it across DST)."""
    zone = zone_named(time_zone)
    local = now.astimezone(zone)
    today = _on(local.date(), remind_at, zone)
    return today if today <= now else _on(local.date() - timedelta(days=1), remind_at, zone)


def next_moment(remind_at: time, time_zone: str, now: datetime) -> datetime:
    """The first reminder moment after `now`: when the sweep looks at this user again."""
    zone = zone_named(time_zone)
    last = last_moment(remind_at, time_zone, now).astimezone(zone)
    return _on(last.date() + timedelta(days=1), remind_at, zone)


def _on(day: date, remind_at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, remind_at.replace(tzinfo=None), tzinfo=zone).astimezone(UTC)


def decide_reminder(
    candidates: Iterable[Candidate],
    settings: AlertSettings,
    remind_at: time,
    now: datetime,
    texts_sent_today: int,
) -> Alert | None:
    """The evening's one reminder, or None: no device due, too late, in quiet hours, or a gate says no.

    Due: watched, not muted, not already in a low episode (it had its low text), and expected to reach
    its alert level before the same time tomorrow (SAFETY_MARGIN after it still counts). Its key holds the
    evening's local date, so a rerun, a second sweep or a changed reminder time never sends a second text
    that evening. A reminder due
    in quiet hours is not sent: "charge tonight" is no use the next morning.
    """
    moment = last_moment(remind_at, settings.time_zone, now)
    if now - moment > LATE_LIMIT or quiet_hours_end(settings, now) is not None:
        return None
    zone = zone_named(settings.time_zone)
    local = moment.astimezone(zone)
    tomorrow = _on(local.date() + timedelta(days=1), remind_at, zone)
    due = [
        candidate for candidate in candidates
        if is_watched(candidate.reading.device_type, candidate.reading.last_sync_at, settings.include_scales, now)
        and not candidate.reading.muted and not candidate.in_low
        and candidate.reaches_alert_at is not None and candidate.reaches_alert_at < tomorrow + SAFETY_MARGIN
    ]
    if not due:
        return None
    evening = int(f"{local:%Y%m%d}")
    named = tuple(AlertDevice(c.reading.product_name, c.reading.device_type, c.level) for c in due)
    kept = deliverable([Alert("reminder", EVENING, evening, named)], {}, settings, now, texts_sent_today).alerts
    return kept[0] if kept else None
