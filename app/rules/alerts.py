"""Pure low-battery alert rules: readings + remembered episodes + settings + time in, texts + new episodes out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Literal

from app.rules.devices import Battery, battery_state, is_watched, known_level
from app.rules.timezones import zone_named
from app.texts.alert_texts import SILENT, battery_template, hours_until, quiet_hours, render
from app.texts.names import MAX_PRODUCT_NAME, display_name

TextKind = Literal["low", "empty", "silent", "reminder"]

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
class Text:
    """One text to send; (user, device_key, episode, kind) is its outbox idempotency key.

    `episode` is the low-battery episode for "low" and "empty" texts and the silence number
    for "silent" texts. `send_after` is None to send now, or the end of quiet hours in UTC.
    """

    kind: TextKind
    device_key: str
    episode: int
    body: str
    send_after: datetime | None = None
    # The English words before they are translated and say whose tracker it is, for `body_for`.
    template: str = ""
    values: tuple[tuple[str, object], ...] = ()

    def body_for(self, owner: str | None = None, language: str = "en") -> str:
        """The same text for any phone, in its language: the account's own (`owner` None: "your Charge 6") or an
        extra number's, naming the account holder as its owner knows them ("Battery low: Sam's Charge 6…")."""
        return render(self.template, dict(self.values), owner, language) if self.template else self.body


@dataclass(frozen=True)
class AlertDecision:
    texts: tuple[Text, ...]
    states: dict[str, EpisodeState]
    dropped_for_cap: int = 0


def decide(
    readings: Iterable[DeviceReading],
    states: Mapping[str, EpisodeState],
    settings: AlertSettings,
    now: datetime,
    texts_sent_today: int,
) -> AlertDecision:
    """Turn fresh battery readings into one text per low-battery episode, plus one urgent one on Empty.

    The state always advances, even when the user is paused, unverified, opted out or
    disconnected, or the daily cap is reached: a text not sent at the moment it was due is
    dropped, never sent late for a battery that may long since have been charged. A device
    forgotten for over 30 days, or a scale the user did not include, is left out of `states`.
    """
    _require_aware(now)
    new_states: dict[str, EpisodeState] = {}
    texts: list[Text] = []
    for reading in readings:
        if not is_watched(reading.device_type, reading.last_sync_at, settings.include_scales, now):
            continue
        before = states.get(reading.device_key, EpisodeState())
        threshold = reading.threshold_percent or settings.threshold_percent
        battery = battery_state(reading.battery_status, reading.battery_level, threshold)
        after, kind = _next_episode(before, battery)
        new_states[reading.device_key] = after
        if kind is not None and not reading.muted:
            template, values = battery_template(kind, known_level(reading.battery_level),
                                                 hours_until(reading.empty_at, now))
            texts.append(_text(kind, reading.device_key, after.episode, template, name=_device_name(reading),
                               **values))
    return deliverable(texts, new_states, settings, now, texts_sent_today)


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
    silent_for = timedelta(hours=silence_hours)
    new_states: dict[str, EpisodeState] = {}
    texts: list[Text] = []
    for reading in readings:
        if not is_watched(reading.device_type, reading.last_sync_at, settings.include_scales, now):
            continue
        state = states.get(reading.device_key, EpisodeState())
        if reading.last_sync_at is not None:
            quiet_since = now - reading.last_sync_at
            if quiet_since < silent_for:
                state = replace(state, silent_sent=False)
            elif not state.silent_sent:
                state = replace(state, silence=state.silence + 1, silent_sent=True)
                if not reading.muted:
                    texts.append(_text("silent", reading.device_key, state.silence, SILENT,
                                       name=_device_name(reading), quiet_hours=quiet_hours(quiet_since)))
        new_states[reading.device_key] = state
    return deliverable(texts, new_states, settings, now, texts_sent_today)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")


def _next_episode(state: EpisodeState, battery: Battery) -> tuple[EpisodeState, TextKind | None]:
    """Move one device's episode on; reaching Empty first sends only the Empty text."""
    if battery in ("low", "empty") and not state.in_low:
        kind: TextKind = "empty" if battery == "empty" else "low"
        return replace(state, episode=state.episode + 1, in_low=True, empty_sent=kind == "empty"), kind
    if battery == "empty" and not state.empty_sent:
        return replace(state, empty_sent=True), "empty"
    if battery == "charged" and state.in_low:
        return replace(state, in_low=False, empty_sent=False), None
    return state, None


def deliverable(
    texts: list[Text],
    states: dict[str, EpisodeState],
    settings: AlertSettings,
    now: datetime,
    texts_sent_today: int,
) -> AlertDecision:
    """No texts for a paused, opted-out, unverified or disconnected user; the most urgent under the cap, held
    through quiet hours."""
    if settings.paused or settings.opted_out or not settings.phone_verified or not settings.connected:
        return AlertDecision((), states)
    room = max(0, settings.daily_cap - texts_sent_today)
    kept = sorted(texts, key=lambda text: URGENCY[text.kind])[:room]
    send_after = quiet_hours_end(settings, now)
    held = tuple(replace(text, send_after=send_after) for text in kept)
    return AlertDecision(held, states, dropped_for_cap=len(texts) - len(kept))


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


def _device_name(reading: DeviceReading) -> str:
    return display_name(reading.product_name, reading.device_type, MAX_PRODUCT_NAME)


def _text(kind: TextKind, device_key: str, episode: int, template: str, **values: object) -> Text:
    return Text(kind, device_key, episode, render(template, values), template=template,
                values=tuple(sorted(values.items())))
