"""Google sign-in and the Google Health API as the emulator serves them."""
from datetime import datetime
from zoneinfo import ZoneInfo

import requests

SETTINGS_SCOPE = "https://www.googleapis.com/auth/googlehealth.settings.readonly"
ACTIVITY_SCOPE = "https://www.googleapis.com/auth/googlehealth.activity_and_fitness.readonly"
CLIENT = {"client_id": "sandbox-google-client", "client_secret": "sandbox-google-secret"}


def api(emulator, path, token, **params):
    return requests.get(f"{emulator.url}/google{path}", headers={"Authorization": f"Bearer {token}"}, params=params, timeout=10)


def refresh(emulator, refresh_token, **client):
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **client}
    auth = None if client else (CLIENT["client_id"], CLIENT["client_secret"])
    return requests.post(f"{emulator.url}/google/token", data=form, auth=auth, timeout=10)


def test_offline_access_brings_a_refresh_token_and_refreshing_brings_no_new_one(emulator, google_login, person):
    granted = google_login(person["id"])
    assert granted["expires_in"] == 3599 and granted["token_type"] == "Bearer"
    assert granted["scope"] == f"{SETTINGS_SCOPE} {ACTIVITY_SCOPE}"
    assert granted["access_token"].startswith("ya29.")
    for client in ({}, CLIENT):
        refreshed = refresh(emulator, granted["refresh_token"], **client)
        assert refreshed.status_code == 200
        assert "refresh_token" not in refreshed.json()
        assert refreshed.json()["access_token"] != granted["access_token"]


def test_online_access_brings_no_refresh_token(google_login, person):
    assert "refresh_token" not in google_login(person["id"], offline=False)


def test_a_repeat_consent_brings_a_refresh_token_only_with_prompt_consent(google_login, person):
    google_login(person["id"])
    assert "refresh_token" not in google_login(person["id"])
    assert "refresh_token" in google_login(person["id"], prompt="consent")


def test_the_token_endpoint_refuses_a_wrong_client_secret(emulator):
    response = refresh(emulator, "1//whatever", client_id="sandbox-google-client", client_secret="wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_identity_names_the_health_user_and_the_legacy_fitbit_id(emulator, google_login, person):
    token = google_login(person["id"])["access_token"]
    assert api(emulator, "/v4/users/me/identity", token).json() == {
        "name": "users/me/identity",
        "healthUserId": person["health_user_id"],
        "legacyUserId": person["fitbit_user_id"],
    }


def test_settings_give_the_time_zone_and_the_offset_in_seconds(emulator, google_login, person):
    token = google_login(person["id"])["access_token"]
    settings = api(emulator, "/v4/users/me/settings", token).json()
    offset = int(datetime.now(ZoneInfo("America/New_York")).utcoffset().total_seconds())
    assert settings["timeZone"] == "America/New_York"
    assert settings["utcOffset"] == f"{offset}s"


def test_paired_devices_come_in_pages_with_a_next_page_token(emulator, control, google_login, person):
    for product in ("Pixel Watch 3", "Aria Air"):
        control("post", f"/people/{person['id']}/devices", json={"product": product, "type": "SCALE" if product == "Aria Air" else "WATCH"})
    token = google_login(person["id"])["access_token"]
    first = api(emulator, "/v4/users/me/pairedDevices", token, pageSize=2).json()
    assert [d["deviceVersion"] for d in first["pairedDevices"]] == ["Charge 6", "Pixel Watch 3"]
    second = api(emulator, "/v4/users/me/pairedDevices", token, pageSize=2, pageToken=first["nextPageToken"]).json()
    assert [d["deviceVersion"] for d in second["pairedDevices"]] == ["Aria Air"]
    assert "nextPageToken" not in second
    watch = first["pairedDevices"][1]
    assert watch["deviceType"] == "WATCH"
    assert watch["name"].startswith("users/me/pairedDevices/")
    assert watch["lastSyncTime"].endswith("Z")
    bad = api(emulator, "/v4/users/me/pairedDevices", token, pageToken="not-a-token")
    assert bad.status_code == 400 and bad.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_default_values_are_omitted_an_empty_battery_has_no_level_and_no_devices_is_an_empty_object(emulator, control, google_login, person):
    device_id = person["devices"][0]["id"]
    control("patch", f"/people/{person['id']}/devices/{device_id}", json={"battery_level": 0})
    token = google_login(person["id"])["access_token"]
    (device,) = api(emulator, "/v4/users/me/pairedDevices", token).json()["pairedDevices"]
    assert "batteryLevel" not in device
    assert device["batteryStatus"] == "Empty"
    control("delete", f"/people/{person['id']}/devices/{device_id}")
    assert api(emulator, "/v4/users/me/pairedDevices", token).text.strip() == "{}"


def test_the_omit_switch_drops_last_sync_time(emulator, control, google_login, person):
    control("post", "/faults", json={"google": {"omit_optional_fields": True}})
    token = google_login(person["id"])["access_token"]
    (device,) = api(emulator, "/v4/users/me/pairedDevices", token).json()["pairedDevices"]
    assert "lastSyncTime" not in device and device["batteryLevel"] == 42


def test_without_the_settings_scope_reads_are_permission_denied(emulator, google_login, person):
    granted = google_login(person["id"], granted=[ACTIVITY_SCOPE])
    assert granted["scope"] == ACTIVITY_SCOPE
    refused = api(emulator, "/v4/users/me/pairedDevices", granted["access_token"])
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert (error["code"], error["status"]) == (403, "PERMISSION_DENIED")


def test_an_expired_or_unknown_token_is_unauthenticated(emulator, control, google_login, person):
    token = google_login(person["id"])["access_token"]
    control("post", f"/people/{person['id']}/expire-tokens")
    for presented in (token, "ya29.unknown"):
        refused = api(emulator, "/v4/users/me/identity", presented)
        assert refused.status_code == 401
        assert refused.json()["error"]["status"] == "UNAUTHENTICATED"
    assert api(emulator, "/v4/users/me/identity", token).json()["error"]["details"][0]["reason"] == "ACCESS_TOKEN_EXPIRED"


def test_over_the_per_minute_quota_google_answers_resource_exhausted(emulator, control, google_login, person):
    control("post", "/limits", json={"google": {"limit": 2, "window_seconds": 60}})
    token = google_login(person["id"])["access_token"]
    statuses = [api(emulator, "/v4/users/me/identity", token).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    body = api(emulator, "/v4/users/me/identity", token).json()
    assert (body["error"]["code"], body["error"]["status"]) == (429, "RESOURCE_EXHAUSTED")


def test_after_the_app_revokes_refresh_is_an_invalid_grant_and_reads_are_unauthenticated(emulator, google_login, person):
    granted = google_login(person["id"])
    assert requests.post(f"{emulator.url}/google/revoke", data={"token": granted["access_token"]}, timeout=10).status_code == 200
    refused = refresh(emulator, granted["refresh_token"])
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert api(emulator, "/v4/users/me/identity", granted["access_token"]).status_code == 401
