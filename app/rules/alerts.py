"""Pure low-battery alert rules: readings + remembered episodes + settings + time in, alerts + new episodes out.

An alert is data (which device, its level, the time left, how long it has been silent), never words:
`app.texts.alert_texts.alert_text` writes them for each number that gets it, in that number's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Literal

from app.rules.devices import Battery, battery_state, is_watched, known_level
from app.rules.timezones import zone_named

AlertKind = Literal["low", "empty", "silent", "reminder"]

URGENCY: dict[str, int] = {"empty": 0, "low": 1, "silent": 2, "reminder": 3}  # which texts the daily cap keeps first


@dataclass(frozen=True)
class AlertSettings:
    threshold_percent: int = 20
    quiet_start: time | None = None
    quiet_end: time | None = None
    time_zone: str = "UTC"
    include_scales: bool = False
    paused: bool = False
    phone_verified: bool = False
    opted_out: bool = False
    connected: bool = False
    daily_cap: int = 5


@dataclass(frozen=True)
class DeviceReading:
    device_key: str
    device_type: str
    product_name: str | None = None
    battery_status: str | None = None
    battery_level: int | None = None
    # The best evidence of the device's last sync (the platform's time, else a changed reading or a push);
    # None when there is none, and then the device cannot be judged silent.
    last_sync_at: datetime | None = None
    # When the drain model confidently expects it to empty (app/rules/drain.py); None when it is not sure.
    empty_at: datetime | None = None
    threshold_percent: int | None = None  # the device's own alert level, over the account's
    muted: bool = False  # its state moves on, but no text is sent about it


@dataclass(frozen=True)
class EpisodeState:
    """What we remember about one device between syncs; five columns beside the device row.

    `episode` numbers low-battery episodes and `in_low` says one is open; opening it spends its
    low text, so no separate "low sent" flag is needed. `silence` numbers the times the device
    went silent and `silent_sent` says the current silence has had its text.
    """

    episode: int = 0
    in_low: bool = False
    empty_sent: bool = False
    silence: int = 0
    silent_sent: bool = False


@dataclass(frozen=True)
class AlertDevice:
    """A device as an alert tells of it: what the platform calls it (its type stands in for a missing name), and
    its battery level when known (a reminder's: the level the drain model reads now)."""

    product_name: str | None
    device_type: str | None
    level: int | None = None


@dataclass(frozen=True)
class Alert:
    """One alert to send, as data; (user, device_key, episode, kind) is its outbox idempotency key.

    `episode` is the low-battery episode for "low" and "empty" alerts, the silence number for "silent"
    ones, the evening's local date for the "reminder". `send_after` is None to send now, or the end of
    quiet hours in UTC.
    """

    kind: AlertKind
    device_key: str
    episode: int
    devices: tuple[AlertDevice, ...]  # the device it is about; every device a reminder names
    time_left: timedelta | None = None  # a low alert's: until the drain model is sure it empties
    silent_for: timedelta | None = None  # a silence alert's: since the device last synced
    send_after: datetime | None = None


@dataclass(frozen=True)
class AlertDecision:
    alerts: tuple[Alert, ...]
    states: dict[str, EpisodeState]
    dropped_for_cap: int = 0


def decide(
    readings: Iterable[DeviceReading],
    states: Mapping[str, EpisodeState],
    settings: AlertSettings,
    now: datetime,
    texts_sent_today: int,
) -> AlertDecision:
    """Turn fresh battery readings into one alert per low-battery episode, plus one urgent one on Empty.

    The state always advances, even when the user is paused, unverified, opted out or
    disconnected, or the daily cap is reached: a text not sent at the moment it was due is
    dropped, never sent late for a battery that may long since have been charged. A device
    forgotten for over 30 days, or a scale the user did not include, is left out of `states`.
    """
    _require_aware(now)
    new_states: dict[str, EpisodeState] = {}
    found: list[Alert] = []
    for reading in readings:
        if not is_watched(reading.device_type, reading.last_sync_at, settings.include_scales, now):
            continue
        before = states.get(reading.device_key, EpisodeState())
        threshold = reading.threshold_percent or settings.threshold_percent
        battery = battery_state(reading.battery_status, reading.battery_level, threshold)
        after, kind = _next_episode(before, battery)
        new_states[reading.device_key] = after
        if kind is not None and not reading.muted:
            found.append(Alert(kind, reading.device_key, after.episode, (_about(reading),),
                               time_left=_time_left(reading.empty_at, now)))
    return deliverable(found, new_states, settings, now, texts_sent_today)


def decide_silence(
    readings: Iterable[DeviceReading],
    states: Mapping[str, EpisodeState],
    settings: AlertSettings,
    now: datetime,
    texts_sent_today: int,
    silence_hours: int = 24,
) -> AlertDecision:
    """Text once when a device stops syncing, because a flat battery cannot push its own last reading.

    Meant for the scheduled sweep, which also closes a silence once the device has synced
    within `silence_hours` again. Gates, quiet hours and the daily cap work as in `decide`; a
    device with no known last sync cannot be judged silent and keeps its state.
    """
    _require_aware(now)
    silent_after = timedelta(hours=silence_hours)
    new_states: dict[str, EpisodeState] = {}
    found: list[Alert] = []
    for reading in readings:
        if not is_watched(reading.device_type, reading.last_sync_at, settings.include_scales, now):
            continue
        state = states.get(reading.device_key, EpisodeState())
        if reading.last_sync_at is not None:
            quiet_since = now - reading.last_sync_at
            if quiet_since < silent_after:
                state = replace(state, silent_sent=False)
            elif not state.silent_sent:
                state = replace(state, silence=state.silence + 1, silent_sent=True)
                if not reading.muted:
                    found.append(Alert("silent", reading.device_key, state.silence, (_about(reading),),
                                       silent_for=quiet_since))
        new_states[reading.device_key] = state
    return deliverable(found, new_states, settings, now, texts_sent_today)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")


def _next_episode(state: EpisodeState, battery: Battery) -> tuple[EpisodeState, AlertKind | None]:
    """Move one device's episode on; reaching Empty first sends only the Empty alert."""
    if battery in ("low", "empty") and not state.in_low:
        kind: AlertKind = "empty" if battery == "empty" else "low"
        return replace(state, episode=state.episode + 1, in_low=True, empty_sent=kind == "empty"), kind
    if battery == "empty" and not state.empty_sent:
        return replace(state, empty_sent=True), "empty"
    if battery == "charged" and state.in_low:
        return replace(state, in_low=False, empty_sent=False), None
    return state, None


def deliverable(
    found: list[Alert],
    states: dict[str, EpisodeState],
    settings: AlertSettings,
    now: datetime,
    texts_sent_today: int,
) -> AlertDecision:
    """No alerts for a paused, opted-out, unverified or disconnected user; the most urgent under the cap, held
    through quiet hours."""
    if settings.paused or settings.opted_out or not settings.phone_verified or not settings.connected:
        return AlertDecision((), states)
    room = max(0, settings.daily_cap - texts_sent_today)
    kept = sorted(found, key=lambda alert: URGENCY[alert.kind])[:room]
    send_after = quiet_hours_end(settings, now)
    held = tuple(replace(alert, send_after=send_after) for alert in kept)
    return AlertDecision(held, states, dropped_for_cap=len(found) - len(kept))


def quiet_hours_end(settings: AlertSettings, now: datetime) -> datetime | None:
    """Hold a text decided at night until the user's quiet hours end, in UTC for the outbox.

    The window is read in the user's own time zone (an unknown zone counts as UTC) and may wrap
    past midnight; the end is placed with zoneinfo, so a DST change during the night is honoured.
    """
    if settings.quiet_start is None or settings.quiet_end is None:
        return None
    start = settings.quiet_start.replace(tzinfo=None)
    end = settings.quiet_end.replace(tzinfo=None)
    if start == end:
        return None
    zone = zone_named(settings.time_zone)
    local = now.astimezone(zone)
    clock = local.time()
    quiet = start <= clock < end if start < end else (clock >= start or clock < end)
    if not quiet:
        return None
    end_day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(UTC)


def _about(reading: DeviceReading) -> AlertDevice:
    return AlertDevice(reading.product_name, reading.device_type, known_level(reading.battery_level))


def _time_left(empty_at: datetime | None, now: datetime) -> timedelta | None:
    """Until the device empties; None when no confident forecast says so, or it says already (then no time is
    promised)."""
    if empty_at is None or empty_at <= now:
        return None
    return empty_at - now
