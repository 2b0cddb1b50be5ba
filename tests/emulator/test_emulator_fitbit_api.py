"""The Fitbit Web API as the emulator serves it: profile, devices, subscriptions, errors, quota, request log."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.support.polling import wait_until

SUBSCRIPTIONS = "/fitbit/1/user/-/activities/apiSubscriptions"


def api(emulator, method, path, token, **kwargs):
    return requests.request(method, emulator.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10, **kwargs)


def test_the_profile_gives_the_time_zone_and_its_offset(emulator, fitbit_login, person):
    token = fitbit_login(person["id"])["access_token"]
    user = api(emulator, "get", "/fitbit/1/user/-/profile.json", token).json()["user"]
    assert user["timezone"] == "America/New_York"
    assert user["encodedId"] == person["fitbit_user_id"]
    assert user["displayName"] == "Ada"
    offset = datetime.now(ZoneInfo("America/New_York")).utcoffset().total_seconds() * 1000
    assert user["offsetFromUTCMillis"] == offset


def test_devices_read_as_fitbit_lists_them_with_local_sync_time_and_a_watch_as_tracker(emulator, control, fitbit_login, person):
    control("post", f"/people/{person['id']}/devices", json={"id": "900", "type": "WATCH", "product": "Pixel Watch 3",
                                                             "battery_level": 9, "last_sync": "2026-01-15T17:30:05Z"})
    token = fitbit_login(person["id"])["access_token"]
    devices = api(emulator, "get", "/fitbit/1/user/-/devices.json", token).json()
    charge, watch = devices
    assert set(charge) == {"battery", "batteryLevel", "deviceVersion", "features", "id", "lastSyncTime", "mac", "type"}
    assert (charge["battery"], charge["batteryLevel"], charge["deviceVersion"]) == ("Medium", 42, "Charge 6")
    assert watch == {
        "battery": "Empty",
        "batteryLevel": 9,
        "deviceVersion": "Pixel Watch 3",
        "features": [],
        "id": "900",
        "lastSyncTime": "2026-01-15T12:30:05.000",
        "mac": watch["mac"],
        "type": "TRACKER",
    }


def test_a_device_silent_for_months_is_still_listed(emulator, control, fitbit_login, person):
    control("post", f"/people/{person['id']}/devices", json={"product": "Alta HR", "last_sync_days_ago": 200})
    token = fitbit_login(person["id"])["access_token"]
    old = api(emulator, "get", "/fitbit/1/user/-/devices.json", token).json()[1]
    last_sync = datetime.fromisoformat(old["lastSyncTime"]).replace(tzinfo=ZoneInfo("America/New_York"))
    assert (datetime.now(UTC) - last_sync).days >= 199


def test_unticking_settings_shows_in_the_scope_and_refuses_devices_with_insufficient_scope(emulator, fitbit_login, person):
    granted = fitbit_login(person["id"], granted=["profile", "activity"])
    assert set(granted["scope"].split()) == {"profile", "activity"}
    devices = api(emulator, "get", "/fitbit/1/user/-/devices.json", granted["access_token"])
    assert devices.status_code == 403
    (error,) = devices.json()["errors"]
    assert error["errorType"] == "insufficient_scope"
    assert devices.json()["success"] is False
    assert api(emulator, "get", "/fitbit/1/user/-/profile.json", granted["access_token"]).status_code == 200


def test_an_expired_access_token_gets_expired_token_and_an_unknown_one_invalid_token(emulator, control, fitbit_login, person):
    token = fitbit_login(person["id"])["access_token"]
    assert control("post", f"/people/{person['id']}/expire-tokens", json={"platform": "fitbit"}).json() == {"expired": {"fitbit": 1}}
    expired = api(emulator, "get", "/fitbit/1/user/-/devices.json", token)
    assert expired.status_code == 401
    assert expired.json() == {"errors": [{"errorType": "expired_token", "message": "Access token expired."}], "success": False}
    unknown = api(emulator, "get", "/fitbit/1/user/-/devices.json", "nonsense")
    assert unknown.status_code == 401
    assert unknown.json()["errors"][0]["errorType"] == "invalid_token"


def test_a_subscription_is_created_once_listed_and_deleted(emulator, fitbit_login, person):
    token = fitbit_login(person["id"])["access_token"]
    created = requests.post(
        f"{emulator.url}{SUBSCRIPTIONS}/user-1.json",
        headers={"Authorization": f"Bearer {token}", "X-Fitbit-Subscriber-Id": "sub-7"},
        timeout=10,
    )
    assert created.status_code == 201
    assert created.json() == {
        "collectionType": "activities",
        "ownerId": person["fitbit_user_id"],
        "ownerType": "user",
        "subscriberId": "sub-7",
        "subscriptionId": "user-1",
    }
    assert api(emulator, "post", f"{SUBSCRIPTIONS}/user-1.json", token).status_code == 409
    assert api(emulator, "post", f"{SUBSCRIPTIONS}/other-id.json", token).status_code == 409
    listed = api(emulator, "get", f"{SUBSCRIPTIONS}.json", token).json()
    assert listed == {"apiSubscriptions": [created.json()]}
    assert api(emulator, "delete", f"{SUBSCRIPTIONS}/user-1.json", token).status_code == 204
    gone = api(emulator, "delete", f"{SUBSCRIPTIONS}/user-1.json", token)
    assert gone.status_code == 404
    assert gone.json()["success"] is False


def test_a_subscription_id_longer_than_fifty_characters_is_refused(emulator, fitbit_login, person):
    token = fitbit_login(person["id"])["access_token"]
    response = api(emulator, "post", f"{SUBSCRIPTIONS}/{'x' * 51}.json", token)
    assert response.status_code == 400


def test_every_api_answer_carries_the_quota_and_the_next_call_over_it_gets_429(emulator, control, fitbit_login, person):
    control("post", "/limits", json={"fitbit": {"limit": 3, "window_seconds": 60}})
    token = fitbit_login(person["id"])["access_token"]
    remaining = []
    for _ in range(3):
        response = api(emulator, "get", "/fitbit/1/user/-/devices.json", token)
        assert response.status_code == 200
        assert response.headers["Fitbit-Rate-Limit-Limit"] == "3"
        assert 0 < int(response.headers["Fitbit-Rate-Limit-Reset"]) <= 60
        remaining.append(response.headers["Fitbit-Rate-Limit-Remaining"])
    assert remaining == ["2", "1", "0"]
    refused = api(emulator, "get", "/fitbit/1/user/-/profile.json", token)
    assert refused.status_code == 429
    assert refused.json() == {
        "errors": [{"errorType": "system", "fieldName": "n/a", "message": "Too Many Requests"}],
        "success": False,
    }
    assert refused.headers["Fitbit-Rate-Limit-Remaining"] == "0"


def test_the_quota_comes_back_when_the_window_turns(emulator, control, fitbit_login, person):
    control("post", "/limits", json={"fitbit": {"limit": 1, "window_seconds": 0.5}})
    token = fitbit_login(person["id"])["access_token"]

    def fresh_window_answers():
        return api(emulator, "get", "/fitbit/1/user/-/devices.json", token).status_code == 200

    wait_until(fresh_window_answers, seconds=5, what="a devices read in a fresh quota window")
    assert api(emulator, "get", "/fitbit/1/user/-/devices.json", token).status_code == 429
    wait_until(fresh_window_answers, seconds=5, what="a devices read in the next quota window")


def test_the_request_log_counts_exactly_one_devices_read_and_refused_calls_too(emulator, control, fitbit_login, person):
    token = fitbit_login(person["id"])["access_token"]
    api(emulator, "get", "/fitbit/1/user/-/devices.json", token)
    api(emulator, "get", "/fitbit/1/user/-/devices.json", "nonsense")
    mine = control("get", "/requests", params={"platform": "fitbit", "person": person["id"], "endpoint": "devices"}).json()
    assert mine["count"] == 1
    assert mine["requests"][0]["status"] == 200
    refused = control("get", "/requests", params={"endpoint": "devices", "status": 401}).json()
    assert refused["count"] == 1 and refused["requests"][0]["person_id"] is None
    assert control("get", "/requests", params={"endpoint": "token", "person": person["id"]}).json()["count"] == 1


@pytest.mark.parametrize(
    ("level", "status"), [(100, "High"), (61, "High"), (60, "Medium"), (25, "Medium"), (24, "Low"), (10, "Low"), (9, "Empty"), (0, "Empty")]
)
def test_the_battery_status_follows_the_level_unless_set(control, person, level, status):
    device_id = person["devices"][0]["id"]
    updated = control("patch", f"/people/{person['id']}/devices/{device_id}", json={"battery_level": level}).json()
    assert updated["battery_status"] == status
    pinned = control("patch", f"/people/{person['id']}/devices/{device_id}", json={"battery_status": "low"}).json()
    assert pinned["battery_status"] == "Low"
