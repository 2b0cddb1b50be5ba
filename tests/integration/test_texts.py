"""The outbox: one row per key, the gates every send passes, the daily cap, the welcome text.

A real worker delivering to the emulated phone is in tests/end_to_end/test_texts.py.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.domain.outbox import texts_sent_today
from app.extensions import db
from app.models import MessageStatus, OutgoingMessage, User, utcnow
from app.tasks.delivery import deliver_text, queue_text, resume_stalled_texts
from app.tasks.welcome import after_first_reading, send_welcome
from app.texts.wording import OPTED_OUT, VERIFICATION_REDACTED, verification_text
from tests.support.factories import make_device, make_user, run_text_jobs, scheduled_text_jobs, texts_queue
from tests.support.vonage import phone_stand_in

LOW = "Battery low: your Charge 6 is at 15%. Charge it soon so it keeps tracking."


@pytest.fixture
def phone(app, monkeypatch):
    with phone_stand_in(app, monkeypatch) as mock:
        yield mock


def rows(**where) -> list[OutgoingMessage]:
    query = select(OutgoingMessage).order_by(OutgoingMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutgoingMessage, name) == value)
    return list(db.session.scalars(query))


def test_the_same_key_twice_writes_one_row_and_starts_one_delivery(app):
    user = make_user()

    first = queue_text(user, "low", "low:1:d:1", LOW)
    second = queue_text(user, "low", "low:1:d:1", LOW)

    assert first.id == second.id
    assert len(rows()) == 1
    assert texts_queue().count == 1
    assert first.status == MessageStatus.QUEUED
    assert first.to == "+447700900123"


def test_two_workers_writing_the_same_text_at_once_make_one_row(app):
    user_id = make_user().id
    start = threading.Barrier(4)
    results: list[int] = []

    def write_the_text():
        with app.app_context():
            start.wait()
            results.append(queue_text(db.session.get(User, user_id), "low", "low:race", LOW).id)
            db.session.remove()

    threads = [threading.Thread(target=write_the_text) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results)) == 1 and len(results) == 4
    assert len(rows()) == 1
    assert texts_queue().count == 1


def test_a_text_for_quiet_hours_waits_in_the_scheduler(app):
    user = make_user()
    later = utcnow() + timedelta(hours=7)

    message = queue_text(user, "low", "low:quiet", LOW, send_after=later)

    assert texts_queue().count == 0
    assert len(scheduled_text_jobs()) == 1
    assert deliver_text(message.id) == "not due yet"


def test_no_number_means_no_row(app):
    assert queue_text(make_user(phone=None), "low", "low:x", LOW) is None
    assert rows() == []


def test_queue_text_refuses_an_unknown_kind_and_an_overlong_body(app):
    user = make_user()
    with pytest.raises(ValueError):
        queue_text(user, "marketing", "m:1", "Buy now")
    with pytest.raises(ValueError):
        queue_text(user, "low", "low:long", "x" * 481)


def test_a_queued_text_is_sent_once_however_often_its_job_runs(app, phone):
    message = queue_text(make_user(), "low", "low:once", LOW)

    assert deliver_text(message.id) == "submitted"
    assert deliver_text(message.id) == "already settled"

    assert len(phone.calls) == 1
    db.session.refresh(message)
    assert (message.status, message.provider_message_id) == (MessageStatus.SUBMITTED, "SANDBOX1")


def test_after_stop_a_low_battery_text_sends_nothing(app, phone):
    user = make_user(opted_out_at=utcnow())

    message = queue_text(user, "low", "low:after-stop", LOW)
    run_text_jobs()

    assert len(phone.calls) == 0
    db.session.refresh(message)
    assert message.status == MessageStatus.SKIPPED
    assert message.error == "the user replied STOP"


@pytest.mark.parametrize("kind", ["low", "empty", "silent", "reconnect", "retired", "welcome", "reply"])
def test_nothing_but_a_code_goes_to_an_unverified_number(app, phone, kind):
    user = make_user(verified=False)

    message = queue_text(user, kind, f"{kind}:unverified", "Some text")
    deliver_text(message.id)

    assert len(phone.calls) == 0
    assert db.session.get(OutgoingMessage, message.id).error == "the number is not verified"


def test_a_code_goes_to_an_unverified_number_and_leaves_no_code_behind(app, phone):
    user = make_user(verified=False)

    message = queue_text(user, "verification", "verification:1", verification_text("123456"))
    deliver_text(message.id)

    assert len(phone.calls) == 1
    assert "123456" in phone.calls[0].request.body
    db.session.refresh(message)
    assert message.status == MessageStatus.SUBMITTED
    assert message.body == VERIFICATION_REDACTED


def test_a_code_that_could_not_be_sent_in_ten_minutes_is_dropped(app, phone):
    message = queue_text(make_user(verified=False), "verification", "verification:old", verification_text("654321"))
    db.session.execute(update(OutgoingMessage).values(created_at=utcnow() - timedelta(minutes=11)))
    db.session.commit()

    deliver_text(message.id)

    assert len(phone.calls) == 0
    db.session.refresh(message)
    assert message.status == MessageStatus.SKIPPED
    assert "654321" not in message.body


def test_a_text_for_a_number_the_user_has_since_changed_is_not_sent(app, phone):
    user = make_user()
    message = queue_text(user, "low", "low:old-number", LOW)
    user.phone = "+447700900999"
    db.session.commit()

    deliver_text(message.id)

    assert len(phone.calls) == 0
    assert db.session.get(OutgoingMessage, message.id).status == MessageStatus.SKIPPED


def test_paused_alerts_are_not_sent_but_replies_are(app, phone):
    user = make_user(paused=True)
    alert = queue_text(user, "low", "low:paused", LOW)
    reply = queue_text(user, "reply", "reply:paused", "Battery now: Charge 6 80%.")

    run_text_jobs()

    assert db.session.get(OutgoingMessage, alert.id).status == MessageStatus.SKIPPED
    assert db.session.get(OutgoingMessage, reply.id).status == MessageStatus.SUBMITTED
    assert len(phone.calls) == 1


def test_the_daily_cap_stops_the_sixth_alert_but_not_a_reply(app, phone):
    user = make_user()
    alerts = [queue_text(user, "low", f"low:cap:{n}", LOW) for n in range(6)]
    reply = queue_text(user, "reply", "reply:cap", "Battery now: Charge 6 80%.")

    run_text_jobs()

    statuses = [db.session.get(OutgoingMessage, alert.id).status for alert in alerts]
    assert statuses == [MessageStatus.SUBMITTED] * 5 + [MessageStatus.SKIPPED]
    assert db.session.get(OutgoingMessage, alerts[-1].id).error == "the daily cap of 5 texts is reached"
    assert db.session.get(OutgoingMessage, reply.id).status == MessageStatus.SUBMITTED
    assert len(phone.calls) == 6


def test_the_opt_out_confirmation_goes_to_an_opted_out_user(app, phone):
    user = make_user(opted_out_at=utcnow())

    message = queue_text(user, "opt_out", "opt-out:1", OPTED_OUT)
    deliver_text(message.id)

    assert db.session.get(OutgoingMessage, message.id).status == MessageStatus.SUBMITTED


def test_texts_sent_today_counts_alerts_since_local_midnight(app):
    user = make_user(time_zone="America/New_York")
    now = datetime(2026, 6, 22, 3, 30, tzinfo=UTC)  # 23:30 on the 21st in New York
    for key, created in [
        ("low:a", datetime(2026, 6, 21, 3, 59, tzinfo=UTC)),  # 23:59 on the 20th: yesterday
        ("low:b", datetime(2026, 6, 21, 4, 1, tzinfo=UTC)),  # 00:01 on the 21st: today
        ("empty:c", datetime(2026, 6, 22, 3, 0, tzinfo=UTC)),
        ("reply:d", datetime(2026, 6, 22, 3, 0, tzinfo=UTC)),
        ("verification:e", datetime(2026, 6, 22, 3, 0, tzinfo=UTC)),
    ]:
        message = queue_text(user, key.split(":")[0], key, "text")
        message.created_at = created
    skipped = queue_text(user, "low", "low:skipped", LOW)
    skipped.created_at, skipped.status = datetime(2026, 6, 22, 3, 0, tzinfo=UTC), MessageStatus.SKIPPED
    db.session.commit()

    assert texts_sent_today(user, now) == 2
    user.time_zone = "Not/AZone"  # unknown zone: UTC midnight, so only today's UTC rows count
    assert texts_sent_today(user, now) == 1


def test_the_welcome_text_reports_each_devices_battery(app):
    user = make_user(awaiting_first_reading=True)
    make_device(user, "Charge 6", battery_level=80, battery_status="High")
    make_device(user, "Sense 2", battery_level=None, battery_status="Low")
    make_device(user, "Aria Air", device_type="SCALE", battery_level=50)
    make_device(user, "Flex", battery_level=5, last_sync_at=utcnow() - timedelta(days=90))

    after_first_reading(user)

    (welcome,) = rows(kind="welcome")
    assert welcome.body == (
        "Battery Text is on: we will text this number when a tracker runs low. "
        "Charge 6 80%, Sense 2 low. Reply BATTERY for levels, STOP to end."
    )
    assert len(welcome.body) <= 160


def test_the_welcome_text_without_a_reading_in_time_says_the_levels_follow(app, monkeypatch):
    monkeypatch.setitem(app.config, "WELCOME_WAIT_SECONDS", 0)
    user = make_user(awaiting_first_reading=True)

    send_welcome(user.id)
    send_welcome(user.id)

    (welcome,) = rows(kind="welcome")
    assert "their levels follow by text" in welcome.body


def test_a_text_whose_delivery_job_was_lost_is_picked_up_again(app, phone):
    message = queue_text(make_user(), "low", "low:lost", LOW)
    texts_queue().empty()
    db.session.execute(update(OutgoingMessage).values(created_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()

    assert resume_stalled_texts() == 1
    run_text_jobs()

    assert db.session.get(OutgoingMessage, message.id).status == MessageStatus.SUBMITTED
    assert len(phone.calls) == 1
