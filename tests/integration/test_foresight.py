"""Foresight on stored history: the drain model reads each device's kept readings, and the texts say what it found."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.domain import alerting
from app.extensions import db, queues
from app.models import BatteryReading, ConnectionState, Device, OutgoingMessage, User, utcnow
from app.models.recipients import Recipient
from app.rules import alerts, reminders
from app.tasks.reminders import remind_due_users, send_evening_reminder
from app.texts.alert_texts import alert_text
from app.web.dashboard.presenting import dashboard_parts
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
    (alert,) = decision.alerts
    assert alert_text(alert) == "Battery low: your Charge 6 is at 18%, about 6 hours left. Charge it soon."


def test_a_device_with_too_little_history_gets_the_plain_low_text(app):
    now = utcnow()
    user = make_user()
    device = low_device(user, now)
    drained_history(device, rate=3, hours=2, ends_at=18, now=now)
    (alert,) = alerting.decide_for(user, [device], now, alerts.decide).alerts
    assert alert_text(alert) == "Battery low: your Charge 6 is at 18%. Charge it soon so it keeps tracking."


def reminder_rows(user: User) -> list[OutgoingMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutgoingMessage).where(OutgoingMessage.user_id == user.id,
                                                            OutgoingMessage.kind == "reminder")).all()


def test_the_sweep_hands_each_due_user_to_a_job_once_and_places_the_next_evening(app):
    now = utcnow()
    due = make_user(time_zone="Asia/Tokyo", remind_at=time(20, 0), next_reminder_at=now - timedelta(minutes=1))
    not_placed = make_user(time_zone="Europe/London", remind_at=time(21, 0))
    make_user().remind_at = None  # reminders turned off (a new account has them on)
    db.session.commit()
    make_user(remind_at=time(20, 0), next_reminder_at=now + timedelta(hours=1))  # not yet
    make_user(remind_at=time(20, 0), connection_state=ConnectionState.NEEDS_RECONNECT)

    assert remind_due_users(now) == 2
    assert remind_due_users(now) == 0
    jobs = [queues.queue("default").fetch_job(job_id) for job_id in queues.queue("default").get_job_ids()]
    assert sorted(job.args[0] for job in jobs) == sorted([due.id, not_placed.id])
    assert db.session.get(User, due.id).next_reminder_at == reminders.next_moment(time(20, 0), "Asia/Tokyo", now)
    assert db.session.get(User, not_placed.id).next_reminder_at == reminders.next_moment(time(21, 0), "Europe/London",
                                                                                         now)


def test_the_reminder_job_texts_once_an_evening(app):
    now = utcnow()
    zone = "Asia/Tokyo"
    local = now.astimezone(ZoneInfo(zone))
    reminder_time = (local - timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    user = make_user(time_zone=zone, remind_at=reminder_time)
    device = make_device(user, "Charge 6", battery_status="Medium", battery_level=45, last_sync_at=now)
    drained_history(device, rate=2, hours=24, ends_at=45, now=now)

    assert send_evening_reminder(user.id, now) is True
    assert send_evening_reminder(user.id, now + timedelta(minutes=1)) is True  # a repeated job, the same key
    (row,) = reminder_rows(user)
    assert row.body == "Charge tonight: your Charge 6 is at 45% and should run low before this time tomorrow."
    assert row.idempotency_key == f"reminder:{user.id}:evening:{(local - timedelta(minutes=5)):%Y%m%d}"
    assert send_evening_reminder(user.id, now + timedelta(hours=2)) is False  # too late for this evening


def test_a_changed_reminder_time_the_same_evening_sends_no_second_text(app):
    now = datetime(2026, 11, 30, 20, 40, tzinfo=UTC)
    user = make_user(time_zone="UTC", remind_at=time(20, 10))
    device = make_device(user, "Charge 6", battery_status="Medium", battery_level=45, last_sync_at=now)
    drained_history(device, rate=2, hours=24, ends_at=45, now=now)
    assert send_evening_reminder(user.id, now) is True
    user.remind_at = time(20, 30)
    db.session.commit()
    assert db.session.get(User, user.id).next_reminder_at is None  # the sweep places it again
    send_evening_reminder(user.id, now)
    assert len(reminder_rows(user)) == 1


def test_no_reminder_for_a_tracker_that_lasts_or_is_already_low(app):
    now = utcnow()
    user = make_user(time_zone="UTC", remind_at=(now - timedelta(minutes=1)).time())
    lasting = make_device(user, "Inspire 3", battery_status="High", battery_level=90, last_sync_at=now)
    drained_history(lasting, rate=1, hours=24, ends_at=90, now=now)
    low = make_device(user, "Charge 6", battery_status="Low", battery_level=15, last_sync_at=now, in_low=True,
                      low_episode=1)
    drained_history(low, rate=2, hours=24, ends_at=15, now=now)
    assert send_evening_reminder(user.id, now) is False
    assert reminder_rows(user) == []


@pytest.mark.parametrize(("hours_of_history", "outlook", "drawn"), [
    pytest.param(24, "About 2 days left", True, id="a day of history"),
    pytest.param(3, "Not enough history yet to say how long it lasts.", False, id="too little: nothing guessed"),
])
def test_a_card_says_how_long_the_battery_lasts_and_draws_the_expected_drain(app, hours_of_history, outlook, drawn):
    now = utcnow()
    user = make_user()
    device = make_device(user, "Charge 6", battery_status="Medium", battery_level=48, last_sync_at=now)
    drained_history(device, rate=1, hours=hours_of_history, ends_at=48, now=now)
    (card,) = dashboard_parts(user, 7)["cards"]
    assert card["outlook"] == outlook
    assert ('class="expected"' in card["chart"]) is drawn


def test_the_live_parts_carry_the_outlook_and_a_muted_trackers_note(app):
    now = utcnow()
    user = make_user()
    device = make_device(user, "Charge 6", battery_status="Medium", battery_level=48, last_sync_at=now, muted=True,
                         alert_level=30)
    drained_history(device, rate=1, hours=24, ends_at=48, now=now)
    page = app.test_client(user=user).get("/dashboard/parts").get_data(as_text=True)
    assert "About 2 days left" in page
    assert "Muted: no texts about it." in page
    assert "your alert level (30%)" in page


def test_the_reminder_reaches_each_extra_number_that_chose_it_in_its_own_words(app):
    now = utcnow()
    zone = "Asia/Tokyo"
    local = now.astimezone(ZoneInfo(zone))
    user = make_user(time_zone=zone, remind_at=(local - timedelta(minutes=5)).time().replace(second=0, microsecond=0))
    device = make_device(user, "Charge 6", battery_status="Medium", battery_level=45, last_sync_at=now)
    drained_history(device, rate=2, hours=24, ends_at=45, now=now)
    chose = Recipient(user_id=user.id, phone="+447400123456", known_as="Sam", texts="low,reminder",
                      phone_verified_at=now)
    did_not = Recipient(user_id=user.id, phone="+447400123457", known_as="Sam", texts="low,empty",
                        phone_verified_at=now)
    db.session.add_all([chose, did_not])
    db.session.commit()

    assert send_evening_reminder(user.id, now) is True
    assert send_evening_reminder(user.id, now) is True  # a repeated job: the same keys

    bodies = {row.recipient_id: row.body for row in reminder_rows(user)}
    assert bodies == {
        None: "Charge tonight: your Charge 6 is at 45% and should run low before this time tomorrow.",
        chose.id: "Charge tonight: Sam's Charge 6 is at 45% and should run low before this time tomorrow.",
    }
