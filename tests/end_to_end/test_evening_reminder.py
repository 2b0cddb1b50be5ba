"""A tracker drained in steps over simulated days gets its evening reminder at the user's time, in their zone, once.

Push → webhook → worker → readings stored at the device's own (past) sync times → the drain model → the
every-minute sweep (every 2 s here) → outbox → the emulator's phone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.extensions import db
from app.models import User
from app.tasks.sync import request_sync
from tests.support.journeys import refreshed, settled, signed_up_user, texts
from tests.support.polling import wait_until

ZONE = "Asia/Kolkata"  # UTC+05:30: a reminder read on the UTC clock would come five and a half hours off


def test_a_tracker_drained_over_days_gets_one_reminder_at_the_users_time_in_their_zone(app, emulator, sign_in,
                                                                                        start_worker):
    start_worker()
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=100)
    settled(user, reads=1, emulator=emulator, person=person)
    user = refreshed(user)
    user.time_zone, user.time_zone_from_platform, user.remind_at = ZONE, False, None
    db.session.commit()
    device_id = person["devices"][0]["id"]

    # Thirty hours of wear, read every three hours: 100 % down to 40 %, 2 % an hour (at its alert level of
    # 20 % in about ten hours, before this time tomorrow).
    now = datetime.now(UTC)
    for step in range(11):
        synced_at = now - timedelta(hours=30 - 3 * step)
        emulator.set_device(person["id"], device_id, battery_level=100 - 6 * step, last_sync=synced_at.isoformat())
        request_sync("google", user.platform_user_id)
        settled(user, reads=2 + step, emulator=emulator, person=person)

    moment = (datetime.now(UTC) + timedelta(seconds=6)).replace(microsecond=0)
    user = refreshed(user)
    user.remind_at = moment.astimezone(ZoneInfo(ZONE)).time()
    db.session.commit()

    (text,) = wait_until(lambda: emulator.texts_to(user.phone) and [
        message for message in emulator.texts_to(user.phone) if message["text"].startswith("Charge tonight")
    ], seconds=60, what="the evening reminder on the phone")
    assert text["text"] == "Charge tonight: your Charge 6 is at 40% and should run low before this time tomorrow."
    (row,) = texts(user, "reminder")
    assert row.created_at >= moment
    local_evening = moment.astimezone(ZoneInfo(ZONE)).strftime("%Y%m%d")
    assert row.idempotency_key == f"reminder:{user.id}:evening:{local_evening}"

    # Once: the sweep looks at the user again the same evening (as after a changed time or a lost write),
    # decides the same reminder, and its key keeps it to the one text.
    db.session.query(User).filter_by(id=user.id).update({"next_reminder_at": None})
    db.session.commit()
    wait_until(lambda: refreshed(user).next_reminder_at is not None, what="the sweep to look at the user again")
    assert refreshed(user).next_reminder_at > moment + timedelta(hours=23)
    assert len(texts(user, "reminder")) == 1
    assert len([m for m in emulator.texts_to(user.phone) if m["text"].startswith("Charge tonight")]) == 1
