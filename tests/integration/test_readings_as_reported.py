"""A reading is what the device reported, when it reported it: no copies, no stale levels plotted at "now"."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.adapters.providers import DeviceStatus
from app.domain.readings import record_readings
from app.extensions import db
from app.models import BatteryReading, utcnow
from tests.support.factories import make_user


def reported(level=55, status="Medium", last_sync=None, device_id="tracker-1") -> DeviceStatus:
    return DeviceStatus(platform_device_id=device_id, device_type="TRACKER", product_name="Charge 6",
                        battery_status=status, battery_level=level, last_sync_at=last_sync)


def history(user) -> list[tuple]:
    db.session.expire_all()
    return [(reading.read_at, reading.battery_level, reading.battery_status) for reading in db.session.scalars(
        select(BatteryReading).order_by(BatteryReading.read_at, BatteryReading.id))]


def test_a_device_silent_for_three_days_keeps_one_reading_at_its_own_sync_time(app):
    user = make_user()
    three_days_ago = (utcnow() - timedelta(days=3)).replace(microsecond=0)
    for hours_later in (0, 1, 2):
        record_readings(user, [reported(last_sync=three_days_ago)], utcnow() + timedelta(hours=hours_later))
        db.session.commit()
    assert history(user) == [(three_days_ago, 55, "Medium")]
    assert user.devices[0].last_seen_at == three_days_ago


def test_a_new_reading_is_stored_only_when_the_device_reported_anew(app):
    user = make_user()
    now = utcnow().replace(microsecond=0)
    first_sync, second_sync = now - timedelta(hours=2), now - timedelta(hours=1)
    record_readings(user, [reported(level=60, last_sync=first_sync)], now)
    record_readings(user, [reported(level=60, last_sync=first_sync)], now)       # nothing new: no row
    record_readings(user, [reported(level=60, last_sync=second_sync)], now)      # its sync moved: a row
    record_readings(user, [reported(level=58, last_sync=second_sync)], now)      # its level changed: a row
    record_readings(user, [reported(level=58, status="Low", last_sync=second_sync)], now)  # its status changed
    db.session.commit()
    assert history(user) == [
        (first_sync, 60, "Medium"), (second_sync, 60, "Medium"), (second_sync, 58, "Medium"),
        (second_sync, 58, "Low"),
    ]


def test_without_a_sync_time_a_reading_is_stamped_when_fetched_and_stored_when_it_changes(app):
    user = make_user()
    now = utcnow().replace(microsecond=0)
    record_readings(user, [reported(level=70)], now)
    record_readings(user, [reported(level=70)], now + timedelta(hours=1))
    record_readings(user, [reported(level=66)], now + timedelta(hours=2))
    db.session.commit()
    assert history(user) == [(now, 70, "Medium"), (now + timedelta(hours=2), 66, "Medium")]
    assert user.devices[0].last_seen_at == now + timedelta(hours=2)


def test_a_sync_time_in_the_future_is_stamped_no_later_than_the_fetch(app):
    user = make_user()
    now = utcnow().replace(microsecond=0)
    record_readings(user, [reported(last_sync=now + timedelta(hours=5))], now)
    db.session.commit()
    assert history(user) == [(now, 55, "Medium")]
