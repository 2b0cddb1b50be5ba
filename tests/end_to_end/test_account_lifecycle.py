"""What happens to an account when consent is withdrawn, Fitbit retires, or the user leaves."""

from __future__ import annotations

import logging
import re
import threading
import time

from sqlalchemy import func, select, update

from app.adapters.providers import client_for
from app.domain.tokens import with_platform
from app.extensions import db, queues
from app.models import BatteryReading, ConnectionState, OAuth, Platform, User
from app.rules.timezones import UTC
from app.tasks.sync import request_sync
from tests.support.journeys import settled, signed_up_user, texts
from tests.support.polling import wait_until


def test_withdrawn_consent_marks_the_account_and_sends_exactly_one_text(emulator, sign_in, start_worker):
    start_worker()
    person, user, _ = signed_up_user(emulator, sign_in, "google")
    settled(user, reads=1, emulator=emulator, person=person)

    revoked = emulator.control("POST", f"/people/{person['id']}/revoke", platform="google")
    assert [push["status"] for push in revoked["pushes"]] == [204]
    wait_until(lambda: texts(user, "reconnect"), what="the reconnect text")
    # Another push for the same person: the account stays marked, and no second text goes out.
    request_sync("google", user.platform_user_id)
    wait_until(lambda: not queues.redis.hlen("sync:dirty"), what="the second sync to finish")
    db.session.refresh(user)
    assert user.connection_state is ConnectionState.NEEDS_RECONNECT
    assert len(texts(user, "reconnect")) == 1


def test_a_fitbit_user_revoked_access_push_stops_alerts_with_one_text(emulator, sign_in, start_worker):
    start_worker()
    person, user, _ = signed_up_user(emulator, sign_in, "fitbit")
    settled(user, reads=1, emulator=emulator, person=person)
    revoked = emulator.control("POST", f"/people/{person['id']}/revoke", platform="fitbit")
    assert [push["status"] for push in revoked["pushes"]] == [204]
    wait_until(lambda: texts(user, "reconnect"), what="the reconnect text")
    db.session.refresh(user)
    assert user.connection_state is ConnectionState.NEEDS_RECONNECT
    assert len(texts(user, "reconnect")) == 1


def test_when_fitbit_retires_reconnecting_with_google_keeps_the_phone_and_history(emulator, sign_in, start_worker):
    start_worker()
    person, user, browser = signed_up_user(emulator, sign_in, "fitbit", level=70)
    settled(user, reads=1, emulator=emulator, person=person)
    user_id, phone = user.id, user.phone
    readings_before = db.session.scalar(select(func.count(BatteryReading.id)))
    assert readings_before == 1

    emulator.control("POST", "/retired", fitbit=True)
    request_sync("fitbit", person["fitbit_user_id"])
    wait_until(lambda: texts(user, "retired"), what="the retired text")
    db.session.refresh(user)
    assert user.connection_state is ConnectionState.PLATFORM_RETIRED

    sign_in("google", person["id"], session=browser)
    db.session.expire_all()
    moved = db.session.get(User, user_id)
    assert (moved.platform, moved.platform_user_id, moved.legacy_user_id) == (
        Platform.GOOGLE, person["health_user_id"], person["fitbit_user_id"]
    )
    assert moved.phone == phone and moved.phone_verified
    assert moved.connection_state is ConnectionState.CONNECTED
    assert db.session.scalar(select(func.count(User.id))) == 1
    wait_until(lambda: db.session.scalar(select(func.count(BatteryReading.id))) >= 2, what="the first Google reading")
    wait_until(lambda: [row.provider for row in db.session.scalars(select(OAuth).execution_options(populate_existing=True))] == ["google"],
               what="the Fitbit token to be dropped")


def test_deleting_the_account_leaves_no_row_even_when_the_platform_fails(emulator, sign_in, live_app):
    person, user, browser = signed_up_user(emulator, sign_in, "google")
    emulator.control("POST", "/faults", google={"error_rate": 1.0})
    page = browser.get(live_app.url + "/account/delete", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = browser.post(live_app.url + "/account/delete", data={"csrf_token": token, "confirm": "delete"},
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    db.session.expire_all()
    for table in db.metadata.sorted_tables:
        assert db.session.execute(select(func.count()).select_from(table)).scalar() == 0, table.name


def test_deleting_needs_the_confirmation_word(emulator, sign_in, live_app):
    person, user, browser = signed_up_user(emulator, sign_in, "google")
    page = browser.get(live_app.url + "/account/delete", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = browser.post(live_app.url + "/account/delete", data={"csrf_token": token, "confirm": "yes"}, timeout=10)
    assert answer.status_code == 400
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_ten_workers_refreshing_one_user_at_once_do_not_lock_them_out(emulator, sign_in, make_app):
    person, user, _ = signed_up_user(emulator, sign_in, "fitbit")
    # Ten workers are ten processes with a pool each; here they are ten threads of one app, whose pool must
    # then hold ten connections (a web process's holds DB_POOL_SIZE).
    workers_app = make_app(DB_POOL_SIZE="10")
    emulator.control("POST", f"/people/{person['id']}/expire-tokens")
    # Our stored copy is stale too, so every worker decides to refresh at the same moment.
    db.session.execute(update(OAuth).values(token=_expired(db.session.scalars(select(OAuth)).one().token)))
    db.session.commit()
    user_id = user.id
    start = threading.Barrier(10)
    outcomes: list[object] = []

    def worker() -> None:
        with workers_app.app_context():
            try:
                me = db.session.get(User, user_id)
                client = client_for(me.platform)
                start.wait(timeout=30)
                outcomes.append(len(with_platform(me, client, lambda s: client.devices(s, me.platform_user_id, UTC))))
            except Exception as error:  # noqa: BLE001 - the test reports whatever a worker met
                outcomes.append(error)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes == [1] * 10
    refreshes = emulator.requests_made(platform="fitbit", endpoint="token")
    assert [call["status"] for call in refreshes] == [200, 200]  # the sign-in, then exactly one refresh


def _expired(token: dict) -> dict:
    return {**token, "expires_at": time.time() - 10}


def test_no_token_code_or_secret_reaches_the_logs(emulator, sign_in, caplog, _app):
    caplog.set_level(logging.DEBUG)
    person, user, _ = signed_up_user(emulator, sign_in, "fitbit")
    token = db.session.scalars(select(OAuth)).one().token
    client = client_for(user.platform)
    with_platform(user, client, lambda s: client.devices(s, user.platform_user_id, UTC))
    secrets = [token["access_token"], token["refresh_token"], _app.config["FITBIT_CLIENT_SECRET"],
               _app.config["SECRET_KEY"], _app.config["TOKEN_ENCRYPTION_KEY"]]
    logged = caplog.text
    assert logged, "the flow logs something"
    for secret in secrets:
        assert secret not in logged
    assert "code=" not in logged and "code_verifier" not in logged
