"""Fields the platforms leave out: no level means unknown (not 0 %) unless the status is Empty, and a device
without lastSyncTime can still be judged silent from the evidence we keep."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.tasks.sweep_batches import text_silent_batch
from tests.support.journeys import settled, signed_up_user, texts
from tests.support.polling import wait_until


def silence_stored(user) -> bool:
    db.session.expire_all()
    return all(device.silent_sent for device in user.devices)


@pytest.mark.parametrize("platform", ["google", "fitbit"])
def test_a_device_that_reports_only_its_battery_word_gets_no_false_alarm_and_a_true_one(
    emulator, sign_in, start_worker, platform
):
    start_worker()
    emulator.control("POST", "/faults", **{platform: {"omit_battery_level": True}})
    person, user, _ = signed_up_user(emulator, sign_in, platform, level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    db.session.expire_all()
    (device,) = user.devices
    assert (device.battery_level, device.battery_status) == (None, "High")
    assert texts(user) == []
    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=12)
    emulator.sync(person["id"])
    (low,) = wait_until(lambda: texts(user, "low"), what="the low-battery text")
    assert low.body == "Battery low: your Charge 6 has little charge left. Charge it soon so it keeps tracking."


def test_a_google_device_without_last_sync_time_gets_the_silent_text_once_its_pushes_stop(
    emulator, sign_in, start_worker
):
    start_worker()
    emulator.control("POST", "/faults", google={"omit_optional_fields": True})
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=60)
    settled(user, reads=1, emulator=emulator, person=person)
    emulator.sync(person["id"])
    settled(user, reads=2, emulator=emulator, person=person)
    db.session.expire_all()
    (device,) = user.devices
    assert device.last_sync_at is None and user.last_push_at is not None
    assert device.last_seen_at == max(device.changed_at, user.last_push_at)
    # A day and an hour pass with neither a push nor a change of level.
    day = timedelta(hours=25)
    device.changed_at -= day
    device.last_seen_at -= day
    user.last_push_at -= day
    db.session.commit()
    # The worker's sweep hands the owner to a batch job, which the worker runs.
    (silent,) = wait_until(lambda: texts(user, "silent"), what="the silent text")
    wait_until(lambda: silence_stored(user), what="the batch to store the silence after the text")
    assert text_silent_batch([user.id]) == 0
    assert "has not synced for 25 hours" in silent.body
    # Its pushes come back: the evidence is fresh again, and the silence ends.
    emulator.sync(person["id"])
    settled(user, reads=3, emulator=emulator, person=person)
    db.session.expire_all()
    assert user.devices[0].last_seen_at > user.devices[0].changed_at
