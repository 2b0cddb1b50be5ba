"""Foresight on stored history: the drain model reads each device's kept readings, and the texts say what it found."""

from __future__ import annotations

from datetime import timedelta

from app import alerting, alerts
from app.extensions import db
from app.models import BatteryReading, Device, User, utcnow
from tests.support.factories import make_device, make_user


def drained_history(device: Device, rate: float, hours: int, ends_at: int, now) -> None:
    """Hourly readings over `hours` hours, draining `rate` %/h down to `ends_at` % now."""
    for hour in range(hours + 1):
        level = round(ends_at + rate * (hours - hour))
        device.readings.append(BatteryReading(read_at=now - timedelta(hours=hours - hour), battery_level=level,
                                              battery_status="Low" if level <= 20 else "Medium"))
    db.session.commit()


def low_device(user: User, now):
    return make_device(user, "Charge 6", battery_status="Low", battery_level=18, last_sync_at=now)


def test_a_low_text_says_how_long_is_left_from_the_devices_own_history(app):
    now = utcnow()
    user = make_user(time_zone="Europe/London")
    device = low_device(user, now)
    drained_history(device, rate=3, hours=24, ends_at=18, now=now)
    decision = alerting.decide_for(user, [device], now, alerts.decide)
    (text,) = decision.texts
    assert text.body == "Battery low: your Charge 6 is at 18%, about 6 hours left. Charge it soon."


def test_a_device_with_too_little_history_gets_the_plain_low_text(app):
    now = utcnow()
    user = make_user()
    device = low_device(user, now)
    drained_history(device, rate=3, hours=2, ends_at=18, now=now)
    (text,) = alerting.decide_for(user, [device], now, alerts.decide).texts
    assert text.body == "Battery low: your Charge 6 is at 18%. Charge it soon so it keeps tracking."
