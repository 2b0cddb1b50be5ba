"""The pure alert rules run on stored devices: rows in as readings and states, the decision's states stored back."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from flask import current_app

from app.domain import audience
from app.domain.readings import drain_histories
from app.models import ConnectionState, Device, User, utcnow
from app.rules import alerts, drain, reminders
from app.rules.devices import is_watched

log = logging.getLogger(__name__)

Rule = Callable[
    [Iterable[alerts.DeviceReading], Mapping[str, alerts.EpisodeState], alerts.AlertSettings, datetime, int],
    alerts.AlertDecision,
]


def reading_of(device: Device, forecast: drain.Forecast | drain.NoForecast | None = None) -> alerts.DeviceReading:
    # The text names the empty time only when the forecast is confident.
    empty_at = forecast.empty_at if isinstance(forecast, drain.Forecast) and forecast.confident else None
    return alerts.DeviceReading(
        device_key=str(device.id),
        device_type=device.device_type,
        product_name=device.product_name,
        battery_status=device.battery_status,
        battery_level=device.battery_level,
        last_sync_at=device.last_seen_at,
        empty_at=empty_at,
        threshold_percent=device.alert_level,
        muted=bool(device.muted),
    )


def forecasts(user: User, devices: list[Device], now: datetime) -> dict[int, drain.Forecast | drain.NoForecast]:
    """The drain model's answer for each device, from its stored history, at the user's alert level."""
    histories = drain_histories(devices, now)
    return {device.id: drain.forecast(histories.get(device.id, []), alert_level(user, device), now)
            for device in devices}


def alert_level(user: User, device: Device) -> int:
    """The device's own alert level, else the account's: what its low text and its forecast count to."""
    return device.alert_level or user.threshold_percent


def state_of(device: Device) -> alerts.EpisodeState:
    return alerts.EpisodeState(
        episode=device.low_episode or 0, in_low=bool(device.in_low), empty_sent=bool(device.empty_sent),
        silence=device.silence or 0, silent_sent=bool(device.silent_sent),
    )


def alert_settings(user: User, now: datetime | None = None) -> alerts.AlertSettings:
    return alerts.AlertSettings(
        threshold_percent=user.threshold_percent,
        quiet_start=user.quiet_start,
        quiet_end=user.quiet_end,
        time_zone=user.time_zone,
        include_scales=user.include_scales,
        paused=user.paused_at(now or utcnow()),
        # Someone's number must be confirmed and not stopped: the account's own, or an extra one.
        phone_verified=user.phone_verified or audience.anyone_listens(user),
        opted_out=not audience.anyone_listens(user),
        connected=user.connection_state is ConnectionState.CONNECTED,
        daily_cap=int(current_app.config.get("DAILY_TEXT_CAP", 5)),
    )


def decide_for(user: User, devices: list[Device], now: datetime, rule: Rule) -> alerts.AlertDecision:
    """Run `rule` (alerts.decide or alerts.decide_silence) on the user's stored devices; changes nothing."""
    expected = forecasts(user, devices, now)
    decision = rule(
        [reading_of(device, expected[device.id]) for device in devices],
        {str(device.id): state_of(device) for device in devices},
        alert_settings(user, now),
        now,
        audience.fewest_alerts_today(user, now),
    )
    if decision.dropped_for_cap:
        log.info("user %s reached the daily cap; %d texts not sent", user.id, decision.dropped_for_cap)
    return decision


def store_states(devices: list[Device], decision: alerts.AlertDecision) -> None:
    """Keep the decision's episode states on the device rows; the caller commits.

    Call it after the decided texts are written: a crash in between then decides the same texts
    again, and their outbox keys keep each one single.
    """
    for device in devices:
        state = decision.states.get(str(device.id))
        if state is None:
            continue
        device.low_episode = state.episode
        device.in_low = state.in_low
        device.empty_sent = state.empty_sent
        device.silence = state.silence
        device.silent_sent = state.silent_sent


def text_key(user: User, alert: alerts.Alert, recipient_id: int | None = None) -> str:
    """(user, device, episode, kind, extra number): a rerun after a crash decides the same key, so no text goes
    twice to any number."""
    key = f"{alert.kind}:{user.id}:{alert.device_key}:{alert.episode}"
    return key if recipient_id is None else f"{key}:to:{recipient_id}"


def watched_readings(user: User, now: datetime) -> list[alerts.DeviceReading]:
    """The user's devices worth reporting in a text, by name: what the welcome and BATTERY list."""
    devices = sorted(user.devices, key=lambda device: (device.product_name or "", device.platform_device_id))
    return [
        reading_of(device) for device in devices
        if is_watched(device.device_type, device.last_seen_at, user.include_scales, now)
    ]


def reminder_for(user: User, now: datetime) -> alerts.Alert | None:
    """The evening reminder the user is due now, if any (`reminders.decide_reminder`); changes nothing."""
    if user.remind_at is None:
        return None
    devices = list(user.devices)
    expected = forecasts(user, devices, now)
    candidates = [
        reminders.Candidate(reading_of(device), forecast.level, forecast.reaches_alert_at, bool(device.in_low))
        for device in devices if isinstance(forecast := expected[device.id], drain.Forecast)
    ]
    return reminders.decide_reminder(candidates, alert_settings(user, now), user.remind_at, now,
                                     audience.fewest_alerts_today(user, now))
