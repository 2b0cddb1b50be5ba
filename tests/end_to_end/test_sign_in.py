"""Signing in and out on both platforms, over real HTTP against the emulator.

The sign-in handler's decisions on their own (which account a Google identity joins) are in
tests/integration/test_sign_in_handler.py.
"""

from __future__ import annotations

import re

from sqlalchemy import select, text

from app.extensions import db, queues
from app.models import OAuth, Platform, User
from app.tasks.sweeps import resume_account_setups
from tests.support.polling import wait_until


def test_first_google_sign_in_creates_the_account_and_asks_for_the_phone(emulator, sign_in, live_app):
    person = emulator.person(name="Ada", time_zone="America/New_York")
    browser, back = sign_in("google", person["id"])
    assert back.status_code == 302 and back.headers["Location"].endswith("/next")
    user = db.session.scalars(select(User)).one()
    assert (user.platform, user.platform_user_id, user.legacy_user_id) == (
        Platform.GOOGLE, person["health_user_id"], person["legacy_user_id"]
    )
    next_page = browser.get(live_app.url + "/next", allow_redirects=False, timeout=10)
    assert next_page.headers["Location"].endswith("/phone")


def test_first_fitbit_sign_in_uses_pkce_and_the_fitbit_user_id(emulator, sign_in):
    person = emulator.person(name="Grace")
    _, back = sign_in("fitbit", person["id"])
    assert back.status_code == 302 and back.headers["Location"].endswith("/next")
    user = db.session.scalars(select(User)).one()
    assert (user.platform, user.platform_user_id) == (Platform.FITBIT, person["fitbit_user_id"])
    token_calls = emulator.requests_made(platform="fitbit", endpoint="token")
    assert [call["status"] for call in token_calls] == [200]


def test_returning_sign_in_finds_the_same_account(emulator, sign_in):
    person = emulator.person()
    sign_in("google", person["id"])
    sign_in("google", person["id"])
    assert db.session.scalars(select(User)).all().__len__() == 1
    assert len(db.session.scalars(select(OAuth)).all()) == 1


def test_without_the_devices_permission_sign_in_says_which_permission_is_missing(emulator, sign_in, live_app):
    person = emulator.person()
    only_activity = ["https://www.googleapis.com/auth/googlehealth.activity_and_fitness.readonly"]
    browser, back = sign_in("google", person["id"], scopes=only_activity)
    page = browser.get(live_app.url + back.headers["Location"], timeout=10)
    assert page.status_code == 403
    assert "devices and battery" in page.text and "Try again with Google" in page.text
    assert db.session.scalars(select(User)).all() == []


def test_refusing_consent_returns_to_the_landing_page_and_stores_nothing(emulator, sign_in, live_app):
    person = emulator.person()
    browser, back = sign_in("fitbit", person["id"], decision="deny")
    page = browser.get(live_app.url + back.headers["Location"], timeout=10)
    assert "You chose not to connect Fitbit" in page.text
    assert db.session.scalars(select(User)).all() == []


def test_signing_out_ends_the_session(emulator, sign_in, live_app):
    person = emulator.person()
    browser, _ = sign_in("google", person["id"])
    dashboard = browser.get(live_app.url + "/dashboard", timeout=10)
    assert dashboard.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', dashboard.text).group(1)
    browser.post(live_app.url + "/logout", data={"csrf_token": token}, timeout=10)
    after = browser.get(live_app.url + "/dashboard", allow_redirects=False, timeout=10)
    assert after.status_code == 302 and after.headers["Location"].startswith("/")


def test_tokens_are_not_stored_in_plain_text(emulator, sign_in):
    person = emulator.person()
    sign_in("fitbit", person["id"])
    stored = db.session.execute(text("SELECT token FROM oauth_tokens")).scalar_one()
    token = db.session.scalars(select(OAuth)).one().token
    assert token["access_token"] and token["refresh_token"]
    assert token["access_token"] not in stored and token["refresh_token"] not in stored
    assert "access_token" not in stored


def test_a_fitbit_sign_in_creates_the_subscription_once(emulator, sign_in, start_worker, live_emulator):
    person = emulator.person()
    start_worker()
    sign_in("fitbit", person["id"])
    wait_until(lambda: emulator.control("GET", f"/people/{person['id']}")["subscriptions"], what="the subscription")
    sign_in("fitbit", person["id"])
    wait_until(lambda: len(emulator.requests_made(platform="fitbit", endpoint="create_subscription")) == 2,
               what="the second subscribe attempt")
    wait_until(lambda: emulator.requests_made(platform="fitbit", endpoint="list_subscriptions"), what="the 409 check")
    subscriptions = emulator.control("GET", f"/people/{person['id']}")["subscriptions"]
    user = db.session.scalars(select(User)).one()
    db.session.refresh(user)
    assert [item["subscription_id"] for item in subscriptions] == [f"battery-text-{user.id}"]
    assert user.fitbit_subscription_id == f"battery-text-{user.id}"
    statuses = [call["status"] for call in emulator.requests_made(platform="fitbit", endpoint="create_subscription")]
    assert statuses == [201, 409]


def fitbit_subscriptions(emulator, person) -> list[dict]:
    return emulator.control("GET", f"/people/{person['id']}")["subscriptions"]


def test_a_subscription_the_platform_fails_at_sign_in_is_retried_until_pushes_can_arrive(emulator, sign_in, start_worker):
    person = emulator.person()
    sign_in("fitbit", person["id"])
    # Fitbit answers every call with a 503 while the new account is being set up.
    emulator.control("POST", "/faults", fitbit={"error_rate": 1})
    start_worker()
    wait_until(lambda: len([call for call in emulator.requests_made(platform="fitbit") if call["status"] == 503]) >= 2,
               what="the setup and its first retry to fail")
    assert fitbit_subscriptions(emulator, person) == []
    emulator.control("POST", "/faults", fitbit={"error_rate": 0})
    wait_until(lambda: fitbit_subscriptions(emulator, person), seconds=40, what="the subscription once Fitbit is back")
    pushes = emulator.sync(person["id"])["pushes"]
    assert [push["status"] for push in pushes] == [204]
    wait_until(lambda: emulator.requests_made(platform="fitbit", endpoint="devices"), what="the sync the push asked for")


def test_a_fitbit_account_whose_setup_was_lost_is_set_up_again_by_the_sweep(emulator, sign_in, start_worker):
    fitbit_person, google_person = emulator.person(), emulator.person()
    sign_in("fitbit", fitbit_person["id"])
    sign_in("google", google_person["id"])
    fitbit_user = db.session.scalars(select(User).where(User.platform == Platform.FITBIT)).one()
    # No worker has run yet. Lose the Fitbit setup, as when RQ fails the job of a worker that died.
    queues.queue("default").fetch_job(f"prepare-account-{fitbit_user.id}").delete()
    assert resume_account_setups() == 1
    # One waiting setup is enough, and Google accounts have no subscription to make.
    assert resume_account_setups() == 0
    start_worker()
    wait_until(lambda: fitbit_subscriptions(emulator, fitbit_person), what="the subscription")

    def subscription_recorded() -> str | None:
        db.session.refresh(fitbit_user)
        return fitbit_user.fitbit_subscription_id

    assert wait_until(subscription_recorded, what="the setup to finish") == f"battery-text-{fitbit_user.id}"
    assert resume_account_setups() == 0
