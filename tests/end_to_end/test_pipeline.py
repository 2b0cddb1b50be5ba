"""Push → webhook → Redis → a real worker → rules → outbox: exactly one text per low-battery episode.

The webhooks' refusals in process are in tests/integration/test_platform_webhooks.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db, queues
from app.models import User
from tests.support.journeys import devices_reads, settled, signed_up_user, texts
from tests.support.polling import wait_until

PLATFORMS = ["google", "fitbit"]


def push_sync(emulator, person, **options):
    result = emulator.sync(person["id"], **options)
    assert result["pushes"] and all(push["status"] == 204 for push in result["pushes"]), result
    return result


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_low_battery_sync_sends_exactly_one_text(platform, emulator, sign_in, start_worker):
    start_worker()
    person, user, _ = signed_up_user(emulator, sign_in, platform, level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    device_id = person["devices"][0]["id"]

    emulator.set_device(person["id"], device_id, battery_level=15)
    push_sync(emulator, person)
    settled(user, reads=2, emulator=emulator, person=person)

    low = texts(user, "low")
    assert len(low) == 1
    assert "Charge 6" in low[0].body and "15%" in low[0].body
    assert wait_until(lambda: emulator.texts_to(user.phone), what="the text on the phone")[0]["text"] == low[0].body


def test_ten_duplicate_pushes_make_one_devices_read_and_one_text(emulator, sign_in, start_worker):
    start_worker()
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=80)
    settled(user, reads=1, emulator=emulator, person=person)

    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=12)
    push_sync(emulator, person, duplicates=10)
    settled(user, reads=2, emulator=emulator, person=person)

    assert devices_reads(emulator, person) == 2
    assert len(texts(user, "low")) == 1


def test_charging_then_running_low_again_sends_a_second_text(emulator, sign_in, start_worker):
    start_worker()
    person, user, _ = signed_up_user(emulator, sign_in, "fitbit", level=15)
    settled(user, reads=1, emulator=emulator, person=person)
    device_id = person["devices"][0]["id"]
    for reads, level in [(2, 90), (3, 14), (4, 13)]:
        emulator.set_device(person["id"], device_id, battery_level=level)
        push_sync(emulator, person)
        settled(user, reads=reads, emulator=emulator, person=person)
    low = texts(user, "low")
    assert len(low) == 2
    assert low[0].idempotency_key != low[1].idempotency_key


def test_empty_after_a_low_text_sends_one_urgent_text(emulator, sign_in, start_worker):
    start_worker()
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=18)
    settled(user, reads=1, emulator=emulator, person=person)
    device_id = person["devices"][0]["id"]
    for reads, level in [(2, 5), (3, 3)]:
        emulator.set_device(person["id"], device_id, battery_level=level, battery_status="Empty")
        push_sync(emulator, person)
        settled(user, reads=reads, emulator=emulator, person=person)
    assert [text.kind for text in texts(user) if text.kind in {"low", "empty"}] == ["low", "empty"]


def test_a_paused_user_gets_nothing(emulator, sign_in, start_worker):
    start_worker()
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    user.paused = True
    db.session.commit()
    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=10)
    push_sync(emulator, person)
    settled(user, reads=2, emulator=emulator, person=person)
    assert texts(user, "low") == []


def test_quiet_hours_hold_the_text_and_release_it_when_they_end(emulator, sign_in, start_worker):
    start_worker()
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=80, time_zone="UTC")
    settled(user, reads=1, emulator=emulator, person=person)
    now = datetime.now(UTC)
    user.time_zone = "UTC"
    user.quiet_start = (now - timedelta(hours=1)).time().replace(microsecond=0)
    user.quiet_end = (now + timedelta(seconds=6)).time().replace(microsecond=0)
    db.session.commit()

    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=10)
    push_sync(emulator, person)
    settled(user, reads=2, emulator=emulator, person=person)
    held = texts(user, "low")
    assert len(held) == 1 and held[0].send_after is not None and held[0].status.value == "queued"
    assert emulator.texts_to(user.phone) == []

    wait_until(lambda: emulator.texts_to(user.phone), seconds=30, what="the held text after quiet hours")
    assert len(emulator.texts_to(user.phone)) == 1 and held[0].send_after <= datetime.now(UTC)


def test_the_daily_cap_holds(emulator, sign_in, start_worker):
    start_worker(DAILY_TEXT_CAP="2")
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    emulator.control("POST", f"/people/{person['id']}/devices", product="Pixel Watch 3", type="WATCH", battery_level=80)
    for reads, level in [(2, 10), (3, 90), (4, 10)]:
        for device in emulator.control("GET", f"/people/{person['id']}")["devices"]:
            emulator.set_device(person["id"], device["id"], battery_level=level)
        push_sync(emulator, person)
        settled(user, reads=reads, emulator=emulator, person=person)
    # Two devices ran low twice: four texts decided, the cap of two lets the first two out.
    assert len(texts(user, "low")) == 2


def test_webhook_handshakes_answer_both_platforms(emulator):
    fitbit = emulator.control("POST", "/fitbit/verify-subscriber")
    google = emulator.control("POST", "/google/verify-subscriber")
    assert fitbit["passed"] and google["passed"], (fitbit, google)


def test_a_tracker_silent_for_a_day_gets_one_went_silent_text(emulator, sign_in, start_worker, app):
    start_worker()
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=60)
    settled(user, reads=1, emulator=emulator, person=person)
    device = user.devices[0]
    device.last_sync_at = datetime.now(UTC) - timedelta(hours=25)
    db.session.commit()
    from app.tasks.sweep_batches import text_silent_batch

    # The worker's sweep hands the owner to a batch job, which the worker runs.
    wait_until(lambda: texts(user, "silent"), what="the silent text")
    wait_until(lambda: db.session.refresh(device) or device.silent_sent, what="the batch to store the silence")
    assert text_silent_batch([user.id]) == 0, "the same batch run again sends nothing twice"
    assert len(texts(user, "silent")) == 1


def test_at_the_rate_limit_the_sync_waits_for_the_reset_and_the_platform_sees_no_excess(emulator, sign_in, start_worker):
    start_worker()
    person, user, _ = signed_up_user(emulator, sign_in, "fitbit", level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    emulator.control("POST", "/limits", fitbit={"limit": 1, "window_seconds": 4})
    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=10)
    push_sync(emulator, person)
    settled(user, reads=2, emulator=emulator, person=person)
    push_sync(emulator, person)
    settled(user, reads=3, emulator=emulator, person=person)
    refused = [call for call in emulator.requests_made(platform="fitbit") if call["status"] == 429]
    assert refused == []
    assert len(texts(user, "low")) == 1


def test_a_worker_killed_in_the_middle_of_a_sync_still_sends_the_text_once(emulator, sign_in, start_worker):
    worker = start_worker()
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    emulator.control("POST", "/faults", google={"latency_ms": 3000})
    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=10)
    push_sync(emulator, person)
    wait_until(lambda: queues.redis.keys("sync:running:*"), what="the sync to start")
    worker.kill()
    emulator.control("POST", "/faults", google={"latency_ms": 0})
    start_worker()
    wait_until(lambda: texts(user, "low"), seconds=120, what="the recovered sync's text")
    settled(user, reads=2, emulator=emulator, person=person)
    assert len(texts(user, "low")) == 1


def test_the_sync_records_when_the_platform_last_pushed_and_the_webhook_writes_nothing(
    emulator, sign_in, start_worker, app
):
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=60)
    before = datetime.now(UTC)
    emulator.sync(person["id"])
    wait_until(lambda: queues.redis.hlen("sync:dirty"), what="the push to reach the webhook")
    db.session.expire_all()
    assert db.session.get(User, user.id).last_push_at is None  # no worker yet: the webhook kept off the row
    start_worker()

    def last_push():
        db.session.expire_all()
        return db.session.get(User, user.id).last_push_at

    pushed_at = wait_until(last_push, what="the sync to record the push")
    assert before <= pushed_at <= datetime.now(UTC)
