"""What the emulated platforms push to our app: signed Fitbit notifications, Google pushes and retries, handshakes."""
import json

import requests

from sandbox.notifications import fitbit_signature
from sandbox.server import LiveEmulator
from tests.support.polling import wait_until

ACTIVITY_SCOPE = "https://www.googleapis.com/auth/googlehealth.activity_and_fitness.readonly"
SETTINGS_SCOPE = "https://www.googleapis.com/auth/googlehealth.settings.readonly"


def subscribe(emulator, token, subscription_id="sub-1"):
    response = requests.post(
        f"{emulator.url}/fitbit/1/user/-/activities/apiSubscriptions/{subscription_id}.json",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 201


def test_the_fitbit_signature_matches_the_documented_test_vector():
    body = b'[{"collectionType":"activities","date":"2010-03-01","ownerId":"184X36","ownerType":"user","subscriptionId":"2345"}]'
    assert fitbit_signature(body, "csecret") == "kiPG5GbxQHBn5fcFefpVqOLsobk="


def test_a_sync_pushes_a_signed_activities_notification_to_a_subscribed_fitbit_user(emulator, control, subscriber, fitbit_login, person):
    subscribe(emulator, fitbit_login(person["id"])["access_token"])
    synced = control("post", f"/people/{person['id']}/sync").json()
    assert synced["pushes"] == [{"platform": "fitbit", "status": 204}]
    (push,) = subscriber.arrivals("/webhooks/fitbit")
    assert push["headers"]["Content-Type"] == "application/json"
    assert push["headers"]["X-Fitbit-Signature"] == fitbit_signature(push["body"], "sandbox-fitbit-secret")
    (entry,) = json.loads(push["body"])
    assert entry == {
        "collectionType": "activities",
        "date": entry["date"],
        "ownerId": person["fitbit_user_id"],
        "ownerType": "user",
        "subscriptionId": "sub-1",
    }
    assert synced["synced_at"] == control("get", f"/people/{person['id']}").json()["devices"][0]["last_sync"]


def test_a_fitbit_user_without_a_subscription_gets_no_push(control, subscriber, fitbit_login, person):
    fitbit_login(person["id"])
    synced = control("post", f"/people/{person['id']}/sync").json()
    assert synced["pushes"] == [] and synced["skipped"] == {"fitbit": "no activities subscription"}
    assert subscriber.arrivals("/webhooks/fitbit") == []


def test_duplicates_send_the_same_notification_several_times(emulator, control, subscriber, fitbit_login, person):
    subscribe(emulator, fitbit_login(person["id"])["access_token"])
    control("post", f"/people/{person['id']}/sync", json={"duplicates": 3})
    bodies = [push["body"] for push in subscriber.arrivals("/webhooks/fitbit")]
    assert len(bodies) == 3 and len(set(bodies)) == 1


def test_a_google_user_with_the_activity_scope_gets_a_push_carrying_the_secret(control, subscriber, google_login, person):
    google_login(person["id"])
    synced = control("post", f"/people/{person['id']}/sync").json()
    assert synced["pushes"] == [{"platform": "google", "status": 204}]
    (push,) = subscriber.arrivals("/webhooks/google-health")
    assert push["headers"]["Authorization"] == "sandbox-google-webhook-secret"
    data = json.loads(push["body"])["data"]
    assert data["healthUserId"] == person["health_user_id"]
    assert (data["version"], data["operation"], data["dataType"]) == ("1", "UPSERT", "steps")
    assert data["clientProvidedSubscriptionName"] and data["intervals"]


def test_a_google_user_without_the_activity_scope_gets_no_push(control, subscriber, google_login, person):
    google_login(person["id"], granted=[SETTINGS_SCOPE])
    synced = control("post", f"/people/{person['id']}/sync").json()
    assert synced["pushes"] == [] and "google" in synced["skipped"]


def test_google_redelivers_until_the_app_answers_204(control, subscriber, google_login, person):
    google_login(person["id"])
    subscriber.google_answers = [500, 503]
    synced = control("post", f"/people/{person['id']}/sync").json()
    assert synced["pushes"] == [{"platform": "google", "status": 500}]

    def attempts():
        delivered = control("get", "/deliveries", params={"platform": "google", "kind": "notification"}).json()
        statuses = [(d["attempt"], d["status"]) for d in delivered["deliveries"]]
        return statuses if statuses == [(1, 500), (2, 503), (3, 204)] else None

    wait_until(attempts, seconds=5, what="the push redelivered after 500 and 503 until a 204")


def test_a_person_revoking_fitbit_sends_user_revoked_access_without_a_date(emulator, control, subscriber, fitbit_login, person):
    granted = fitbit_login(person["id"])
    subscribe(emulator, granted["access_token"])
    revoked = control("post", f"/people/{person['id']}/revoke").json()
    assert revoked["revoked"] == {"fitbit": 1}
    (push,) = subscriber.arrivals("/webhooks/fitbit")
    assert json.loads(push["body"]) == [
        {"collectionType": "userRevokedAccess", "ownerId": person["fitbit_user_id"], "ownerType": "user", "subscriptionId": "sub-1"}
    ]
    devices = requests.get(
        f"{emulator.url}/fitbit/1/user/-/devices.json", headers={"Authorization": f"Bearer {granted['access_token']}"}, timeout=10
    )
    assert devices.status_code == 401


def test_a_person_revoking_google_sends_a_delete_then_refresh_is_an_invalid_grant(emulator, control, subscriber, google_login, person):
    granted = google_login(person["id"])
    control("post", f"/people/{person['id']}/revoke", json={"platform": "google"})
    (push,) = subscriber.arrivals("/webhooks/google-health")
    assert json.loads(push["body"])["data"]["operation"] == "DELETE"
    refreshed = requests.post(
        f"{emulator.url}/google/token",
        data={"grant_type": "refresh_token", "refresh_token": granted["refresh_token"]},
        auth=("sandbox-google-client", "sandbox-google-secret"),
        timeout=10,
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


def test_a_subscriber_with_the_right_verification_code_passes_the_fitbit_handshake(control, subscriber):
    result = control("post", "/fitbit/verify-subscriber").json()
    assert result["passed"] is True
    assert [(c["status"], c["expected"]) for c in result["checks"]] == [(204, 204), (404, 404)]
    codes = [arrival["args"]["verify"] for arrival in subscriber.arrivals("/webhooks/fitbit", "GET")]
    assert codes[0] == "sandbox-verify-code" and codes[1] != codes[0]


def test_a_subscriber_with_the_wrong_verification_code_fails_the_fitbit_handshake(control, subscriber):
    subscriber.verification_code = "something-else"
    result = control("post", "/fitbit/verify-subscriber").json()
    assert result["passed"] is False
    assert result["checks"][0]["status"] == 404


def test_a_subscriber_with_the_right_secret_passes_the_google_handshake(control, subscriber):
    result = control("post", "/google/verify-subscriber").json()
    assert result["passed"] is True
    assert [(c["status"], c["expected"]) for c in result["checks"]] == [(201, 201), (401, 401)]
    with_secret, without = subscriber.arrivals("/webhooks/google-health")
    assert json.loads(with_secret["body"]) == {"type": "verification"}
    assert "Authorization" not in without["headers"]


def test_a_subscriber_with_the_wrong_secret_fails_the_google_handshake(subscriber):
    with LiveEmulator({"APP_URL": subscriber.url, "GOOGLE_HEALTH_WEBHOOK_SECRET": "not-what-the-app-has"}) as emulator:
        result = requests.post(f"{emulator.url}/_control/google/verify-subscriber", timeout=10).json()
    assert result["passed"] is False
    assert result["checks"][0]["status"] == 401


def test_an_unreachable_subscriber_is_logged_without_a_status(control):
    control("post", "/settings", json={"FITBIT_SUBSCRIBER_URL": "http://127.0.0.1:9/webhooks/fitbit"})
    result = control("post", "/fitbit/verify-subscriber").json()
    assert result["passed"] is False and result["checks"][0]["status"] is None
    (first, _) = control("get", "/deliveries", params={"kind": "verification"}).json()["deliveries"]
    assert first["error"]
