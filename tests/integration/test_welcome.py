"""The welcome text carries the battery levels; if the platform cannot be read in time, the levels follow once.

The sync calls `after_first_reading` once it has read the platform; `send_welcome` is the job queued when
the number is confirmed, and again at its deadline. Here both run in the test, on the real database.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import OutgoingMessage, utcnow
from app.tasks.welcome import Welcome, after_first_reading, send_welcome
from app.texts.wording import WELCOME_NO_DEVICES, WELCOME_UNREAD
from tests.support.factories import make_device, make_user


def texts_of(user) -> list[tuple[str, str]]:
    rows = db.session.scalars(select(OutgoingMessage).where(OutgoingMessage.user_id == user.id)
                              .order_by(OutgoingMessage.id)).all()
    return [(row.kind, row.body) for row in rows]


def just_confirmed(**fields):
    return make_user(awaiting_first_reading=True, **fields)


def test_the_welcome_waits_for_the_first_reading_and_then_carries_the_levels(app):
    user = just_confirmed()
    assert send_welcome(user.id) is Welcome.WAITING_FOR_READING
    assert texts_of(user) == []
    make_device(user, "Charge 6", battery_level=80)
    assert after_first_reading(user) is Welcome.SENT_WITH_LEVELS
    ((kind, body),) = texts_of(user)
    assert kind == "welcome" and "Charge 6 80%" in body and len(body) <= 160


def test_after_a_welcome_with_levels_neither_the_deadline_nor_later_reads_text_again(app, monkeypatch):
    user = just_confirmed()
    make_device(user, "Charge 6", battery_level=80)
    after_first_reading(user)
    monkeypatch.setitem(app.config, "WELCOME_WAIT_SECONDS", 0)
    assert send_welcome(user.id) is Welcome.NOTHING_TO_DO
    assert after_first_reading(user) is Welcome.NOTHING_TO_DO
    assert [kind for kind, _ in texts_of(user)] == ["welcome"]


def test_without_a_reading_in_time_the_welcome_goes_without_levels_and_one_first_reading_follows(app, monkeypatch):
    monkeypatch.setitem(app.config, "WELCOME_WAIT_SECONDS", 0)
    user = just_confirmed()
    assert send_welcome(user.id) is Welcome.SENT_WITHOUT_LEVELS
    assert send_welcome(user.id) is Welcome.SENT_WITHOUT_LEVELS  # a repeated job writes nothing new
    make_device(user, "Sense 2", battery_level=64)
    assert after_first_reading(user) is Welcome.FIRST_READING_SENT
    assert after_first_reading(user) is Welcome.NOTHING_TO_DO
    assert texts_of(user) == [("welcome", WELCOME_UNREAD), ("first_reading", "Battery Text, first reading: Sense 2 64%.")]


def test_a_welcome_racing_its_deadline_still_gives_one_welcome_and_at_most_one_first_reading(app, monkeypatch):
    monkeypatch.setitem(app.config, "WELCOME_WAIT_SECONDS", 0)
    user = just_confirmed()
    make_device(user, "Charge 6", battery_level=80)
    after_first_reading(user)
    send_welcome(user.id)
    assert [kind for kind, _ in texts_of(user)] == ["welcome"]


def test_a_welcome_for_an_account_without_devices_says_what_to_do(app):
    user = just_confirmed()
    assert after_first_reading(user) is Welcome.SENT_WITH_LEVELS
    assert texts_of(user) == [("welcome", WELCOME_NO_DEVICES)]


def test_an_unconfirmed_number_gets_no_welcome(app):
    user = make_user(verified=False, awaiting_first_reading=True)
    assert send_welcome(user.id) is Welcome.NOT_VERIFIED
    assert after_first_reading(user) is Welcome.NOTHING_TO_DO
    assert texts_of(user) == []


def test_each_new_confirmation_gets_its_own_welcome(app):
    user = just_confirmed()
    after_first_reading(user)
    user.phone_verified_at = utcnow() + timedelta(seconds=1)
    user.awaiting_first_reading = True
    db.session.commit()
    after_first_reading(user)
    assert [kind for kind, _ in texts_of(user)] == ["welcome", "welcome"]
