""""Disconnect, keep my account": our access is withdrawn at the platform and syncing stops, the phone, settings
and history stay, and connecting again resumes, with a real worker and the emulated platform."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.extensions import db, queues
from app.models import BatteryReading, ConnectionState, OAuth, User
from app.tasks.sync import request_sync
from tests.support.journeys import devices_reads, refreshed, settled, signed_up_user, texts, wait_for_reads
from tests.support.polling import wait_until


def readings() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(BatteryReading.id)))


def test_disconnect_stops_every_platform_call_and_text_and_connecting_again_resumes_with_history_kept(
    emulator, sign_in, live_app, start_worker
):
    start_worker()
    person, user, browser = signed_up_user(emulator, sign_in, "google", level=70)
    settled(user, reads=1, emulator=emulator, person=person)
    user.threshold_percent = 30
    db.session.commit()
    kept = readings()

    page = browser.get(live_app.url + "/settings", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = browser.post(live_app.url + "/settings/disconnect", data={"csrf_token": token}, allow_redirects=False,
                          timeout=10)

    assert answer.status_code == 302
    wait_until(lambda: emulator.requests_made(endpoint="revoke", platform="google"),
               what="our access withdrawn at Google")
    disconnected = refreshed(user)
    assert disconnected.connection_state is ConnectionState.DISCONNECTED
    assert (disconnected.phone, disconnected.phone_verified, disconnected.threshold_percent) == (
        user.phone, True, 30)
    assert db.session.scalars(select(OAuth)).all() == []

    # The tracker runs low and syncs, and a push (or a late one) still asks for a sync: nothing is read or sent.
    reads = devices_reads(emulator, person)
    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=10)
    emulator.sync(person["id"])
    request_sync("google", user.platform_user_id)
    wait_until(lambda: not queues.redis.hlen("sync:dirty"), what="the sync to find the account disconnected")
    assert devices_reads(emulator, person) == reads
    assert texts(user, "low") == [] and texts(user, "reconnect") == []
    assert readings() == kept

    sign_in("google", person["id"], session=browser)

    wait_for_reads(emulator, person, reads + 1)
    wait_until(lambda: texts(user, "low"), what="the low text once syncing resumes")
    reconnected = refreshed(user)
    assert reconnected.connection_state is ConnectionState.CONNECTED
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert readings() == kept + 1
