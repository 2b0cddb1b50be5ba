"""History is pruned a page at a time from the oldest row: everything past 90 days goes, nothing newer, and a
text still queued stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import BatteryReading, MessageStatus, OutgoingMessage, utcnow
from app.tasks import maintenance
from tests.support.factories import make_device, make_user

DAYS = timedelta(days=1)


@pytest.fixture(autouse=True)
def pages_of_two(app, monkeypatch):
    monkeypatch.setattr(maintenance, "PRUNE_PAGE", 2)


def readings_at(ages_in_days: list[float]) -> None:
    device = make_device(make_user())
    db.session.add_all(BatteryReading(device_id=device.id, read_at=utcnow() - age * DAYS, battery_level=50)
                       for age in ages_in_days)
    db.session.commit()


def kept_reading_ages() -> list[int]:
    return [round((utcnow() - read_at) / DAYS) for read_at in db.session.scalars(
        select(BatteryReading.read_at).order_by(BatteryReading.id))]


def test_readings_older_than_ninety_days_go_over_many_pages_and_newer_ones_stay():
    readings_at([200, 150, 120, 100, 95, 91, 89, 30, 1])
    assert maintenance.prune_battery_history() == 6
    assert kept_reading_ages() == [89, 30, 1]


def test_a_page_that_ends_exactly_on_the_last_old_reading_still_looks_at_the_next():
    readings_at([100, 95, 89, 1])
    assert maintenance.prune_battery_history() == 2
    assert kept_reading_ages() == [89, 1]


def test_nothing_old_prunes_nothing():
    readings_at([89, 30])
    assert maintenance.prune_battery_history() == 0
    assert maintenance.prune_battery_history() == 0
    assert kept_reading_ages() == [89, 30]


def test_old_texts_go_page_by_page_but_one_still_queued_stays():
    user = make_user()
    for number, (age, status) in enumerate([(120, MessageStatus.QUEUED), (110, MessageStatus.DELIVERED),
                                            (100, MessageStatus.FAILED), (95, MessageStatus.DELIVERED),
                                            (10, MessageStatus.DELIVERED)]):
        db.session.add(OutgoingMessage(user_id=user.id, idempotency_key=f"low:{number}", kind="low", to=user.phone,
                                       body="Battery low", status=status, created_at=utcnow() - age * DAYS))
    db.session.commit()

    assert maintenance.prune_old_texts() == 3
    assert db.session.scalars(select(OutgoingMessage.idempotency_key).order_by(OutgoingMessage.id)).all() == [
        "low:0", "low:4"]
