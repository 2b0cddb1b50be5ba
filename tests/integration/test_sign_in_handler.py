"""The sign-in handler called directly, as Flask-Dance's examples test theirs: which account a Google identity joins.

Who a token belongs to comes from the emulator over HTTP, as it would from Google; there is no browser, no live
app and no worker. The whole dance over HTTP is in tests/end_to_end/test_sign_in.py.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from flask_login import current_user, login_user
from sqlalchemy import func, select

from app.extensions import db
from app.models import BatteryReading, ConnectionState, OAuth, Platform, User, utcnow
from tests.support.factories import make_device, make_user
from tests.support.oauth import google_token, sign_in_handler

FITBIT_USERS_PHONE = "+447700900321"


@pytest.fixture
def google_approves(app):
    """Run our handler as Flask-Dance does when Google approves, with `signed_in` (if any) already signed in.

    Returns our answer and the id of whoever is signed in afterwards.
    """
    blueprint = app.blueprints["google"]
    handler = sign_in_handler(blueprint)

    def approve(token: dict, signed_in: User | None = None):
        with app.test_request_context("/login/google/authorized"):
            if signed_in is not None:
                login_user(signed_in)
            answer = handler(blueprint, token)
            return answer, getattr(current_user, "id", None)

    return approve


def fitbit_user_with_history(fitbit_user_id: str, **fields) -> User:
    """A Fitbit user with a confirmed phone, settings of their own, a tracker and a reading from it."""
    user = make_user(phone=FITBIT_USERS_PHONE, platform=Platform.FITBIT, platform_user_id=fitbit_user_id,
                     threshold_percent=35, quiet_start=time(22), quiet_end=time(7), time_zone="Europe/London",
                     **fields)
    device = make_device(user, "Charge 6", battery_level=64)
    db.session.add(BatteryReading(device_id=device.id, read_at=utcnow() - timedelta(hours=1), battery_level=64))
    db.session.commit()
    return user


# What `fitbit_user_with_history` gives them, as `phone_settings_and_history` reads it back.
FITBIT_USERS_OWN = (FITBIT_USERS_PHONE, True, 35, time(22), time(7), "Europe/London", [("Charge 6", [64])])


def phone_settings_and_history(user: User) -> tuple:
    devices = [(device.product_name, [reading.battery_level for reading in device.readings]) for device in user.devices]
    return (user.phone, user.phone_verified, user.threshold_percent, user.quiet_start, user.quiet_end, user.time_zone,
            devices)


def google_token_of(user_id: int) -> dict | None:
    row = db.session.scalars(select(OAuth).where(OAuth.user_id == user_id, OAuth.provider == "google")).first()
    return row.token if row else None


def test_a_google_account_whose_legacy_id_is_a_known_fitbit_user_keeps_that_users_phone_and_history(
    emulated_platforms, google_approves
):
    person = emulated_platforms.person(name="Ada")
    user_id = fitbit_user_with_history(person["fitbit_user_id"], connection_state=ConnectionState.PLATFORM_RETIRED).id
    token = google_token(emulated_platforms.url, person["id"])

    answer, signed_in_id = google_approves(token)

    assert answer.status_code == 302 and answer.location.endswith("/next")
    db.session.expire_all()
    moved = db.session.get(User, user_id)
    assert (moved.platform, moved.platform_user_id, moved.legacy_user_id) == (
        Platform.GOOGLE, person["health_user_id"], person["fitbit_user_id"]
    )
    assert phone_settings_and_history(moved) == FITBIT_USERS_OWN
    assert moved.connection_state is ConnectionState.CONNECTED
    assert google_token_of(user_id)["access_token"] == token["access_token"]
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert signed_in_id == user_id


def test_a_signed_in_fitbit_user_who_connects_google_moves_to_google_with_their_phone_and_settings(
    emulated_platforms, google_approves
):
    # Their Fitbit account is not the one the Google account names as its legacy id: signing in decides.
    fitbit_person, google_person = emulated_platforms.person(), emulated_platforms.person()
    fitbit_user = fitbit_user_with_history(fitbit_person["fitbit_user_id"])
    user_id = fitbit_user.id
    token = google_token(emulated_platforms.url, google_person["id"])

    answer, signed_in_id = google_approves(token, signed_in=fitbit_user)

    assert answer.status_code == 302 and answer.location.endswith("/next")
    db.session.expire_all()
    moved = db.session.get(User, user_id)
    assert (moved.platform, moved.platform_user_id, moved.legacy_user_id) == (
        Platform.GOOGLE, google_person["health_user_id"], google_person["fitbit_user_id"]
    )
    assert phone_settings_and_history(moved) == FITBIT_USERS_OWN
    assert google_token_of(user_id)["access_token"] == token["access_token"]
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert signed_in_id == user_id


def test_a_google_account_with_an_unknown_legacy_id_and_nobody_signed_in_gets_a_new_account(
    emulated_platforms, google_approves
):
    person, someone_else = emulated_platforms.person(), emulated_platforms.person()
    other_user_id = fitbit_user_with_history(someone_else["fitbit_user_id"]).id
    token = google_token(emulated_platforms.url, person["id"])

    answer, signed_in_id = google_approves(token)

    assert answer.status_code == 302 and answer.location.endswith("/next")
    db.session.expire_all()
    new = db.session.scalars(select(User).where(User.platform == Platform.GOOGLE)).one()
    assert new.id != other_user_id
    assert (new.platform_user_id, new.legacy_user_id) == (person["health_user_id"], person["fitbit_user_id"])
    assert (new.phone, new.devices) == (None, [])
    assert google_token_of(new.id)["access_token"] == token["access_token"]
    untouched = db.session.get(User, other_user_id)
    assert (untouched.platform, untouched.platform_user_id) == (Platform.FITBIT, someone_else["fitbit_user_id"])
    assert phone_settings_and_history(untouched) == FITBIT_USERS_OWN
    assert signed_in_id == new.id
