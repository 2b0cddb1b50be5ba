"""What the platforms send to our app: sync and revocation pushes, subscriber handshakes, the delivery log."""
import base64
import hashlib
import hmac
import json
import secrets
import threading
from datetime import timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import requests

from sandbox.google import ACTIVITY_SCOPE
from sandbox.world import rfc3339, utc_now

# Fitbit wants the subscriber's answer within 5 seconds; we give every delivery the same budget.
DELIVERY_TIMEOUT_SECONDS = 5


def fitbit_signature(body, client_secret):
    """Fitbit signs the raw body bytes with HMAC-SHA1, key client_secret + "&", standard base64."""
    digest = hmac.new((client_secret + "&").encode(), body, hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def compact_json(value):
    return json.dumps(value, separators=(",", ":")).encode()


def deliver(world, platform, kind, method, url, body=None, headers=None, attempt=1):
    """Send one request to our app and log it; returns the status code, or None when it never answered."""
    try:
        response = requests.request(
            method, url, data=body, headers=headers or {}, timeout=DELIVERY_TIMEOUT_SECONDS
        )
        status, error = response.status_code, None
        response.close()
    except requests.RequestException as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"
    world.record_delivery(
        {
            "platform": platform,
            "kind": kind,
            "method": method,
            "url": url,
            "body": _readable(body),
            "status": status,
            "error": error,
            "attempt": attempt,
            "time": rfc3339(utc_now()),
        }
    )
    return status


def _readable(body):
    if body is None:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def push_fitbit(world, settings, entries, copies):
    body = compact_json(entries)
    headers = {
        "Content-Type": "application/json",
        "X-Fitbit-Signature": fitbit_signature(body, settings["FITBIT_CLIENT_SECRET"]),
    }
    url = settings["FITBIT_SUBSCRIBER_URL"]
    return [
        {"platform": "fitbit", "status": deliver(world, "fitbit", "notification", "POST", url, body, headers)}
        for _ in range(copies)
    ]


def push_google(world, settings, health_user_id, operation, copies):
    """Google sends the secret verbatim in Authorization and retries with backoff until it gets 204."""
    now = utc_now()
    body = compact_json(
        {
            "data": {
                "version": "1",
                "clientProvidedSubscriptionName": world.google_subscription_name,
                "healthUserId": health_user_id,
                "operation": operation,
                "dataType": "steps",
                "intervals": [{"startTime": rfc3339(now - timedelta(minutes=15)), "endTime": rfc3339(now)}],
            }
        }
    )
    headers = {"Content-Type": "application/json", "Authorization": settings["GOOGLE_HEALTH_WEBHOOK_SECRET"]}
    url = settings["GOOGLE_SUBSCRIBER_URL"]
    pushes = []
    for _ in range(copies):
        status = deliver(world, "google", "notification", "POST", url, body, headers)
        if status != 204:
            _redeliver_in_background(world, settings["GOOGLE_RETRY_DELAYS"], url, body, headers)
        pushes.append({"platform": "google", "status": status})
    return pushes


def _redeliver_in_background(world, delays, url, body, headers):
    generation = world.generation

    def redeliver():
        for attempt, delay in enumerate(delays, start=2):
            if world.stopping.wait(delay) or world.generation != generation:
                return
            if deliver(world, "google", "notification", "POST", url, body, headers, attempt) == 204:
                return

    threading.Thread(target=redeliver, name="google-redelivery", daemon=True).start()


def _copies(world, platform, duplicates):
    if duplicates:
        return max(1, int(duplicates))
    return world.faults[platform].duplicate_pushes


def sync_person(world, settings, person, platforms=None, duplicates=None):
    """A sync: every device's last sync becomes now, and each chosen platform pushes once (or n copies)."""
    with world.lock:
        synced_at = utc_now()
        for device in person.devices.values():
            device.last_sync = synced_at
        granted = {platform: world.grants.active_grants(person.id, platform) for platform in ("fitbit", "google")}
        chosen = platforms or [platform for platform, grants in granted.items() if grants]
        skipped = {}
        fitbit_entries = []
        if "fitbit" in chosen:
            local_date = synced_at.astimezone(ZoneInfo(person.time_zone)).date().isoformat()
            fitbit_entries = [
                {
                    "collectionType": "activities",
                    "date": local_date,
                    "ownerId": person.fitbit_user_id,
                    "ownerType": "user",
                    "subscriptionId": subscription.subscription_id,
                }
                for subscription in person.subscriptions.values()
                if subscription.collection_type == "activities"
            ]
            if world.fitbit_retired:
                skipped["fitbit"], fitbit_entries = "the Fitbit Web API is retired", []
            elif not fitbit_entries:
                skipped["fitbit"] = "no activities subscription"
        google_wanted = "google" in chosen
        # Google pushes steps only when the activity scope was granted, unless a test asks explicitly.
        if google_wanted and not platforms and not any(ACTIVITY_SCOPE in grant.scopes for grant in granted["google"]):
            skipped["google"], google_wanted = "activity_and_fitness scope not granted", False
        fitbit_copies = _copies(world, "fitbit", duplicates)
        google_copies = _copies(world, "google", duplicates)
    pushes = []
    if fitbit_entries:
        pushes += push_fitbit(world, settings, fitbit_entries, fitbit_copies)
    if google_wanted:
        pushes += push_google(world, settings, person.health_user_id, "UPSERT", google_copies)
    return {"person_id": person.id, "synced_at": rfc3339(synced_at), "pushes": pushes, "skipped": skipped}


def revoke_person(world, settings, person, platforms=None):
    """The person withdraws consent: Fitbit pushes userRevokedAccess, Google pushes DELETE; tokens then fail."""
    with world.lock:
        chosen = platforms or [
            platform for platform in ("fitbit", "google") if world.grants.active_grants(person.id, platform)
        ]
        revoked = {}
        for platform in chosen:
            grants = world.grants.active_grants(person.id, platform)
            for grant in grants:
                world.grants.revoke(grant)
            revoked[platform] = len(grants)
        # userRevokedAccess notifications carry no date.
        farewell = [
            {
                "collectionType": "userRevokedAccess",
                "ownerId": person.fitbit_user_id,
                "ownerType": "user",
                "subscriptionId": subscription.subscription_id,
            }
            for subscription in person.subscriptions.values()
        ]
        if "fitbit" in chosen:
            person.subscriptions.clear()
        fitbit_farewell = "fitbit" in chosen and farewell and not world.fitbit_retired
    pushes = []
    if fitbit_farewell:
        pushes += push_fitbit(world, settings, farewell, 1)
    if "google" in chosen:
        pushes += push_google(world, settings, person.health_user_id, "DELETE", 1)
    return {"person_id": person.id, "revoked": revoked, "pushes": pushes}


def _handshake_result(checks):
    return {"passed": all(check["status"] == check["expected"] for check in checks), "checks": checks}


def verify_fitbit_subscriber(world, settings):
    """Fitbit's handshake: GET ?verify=<right code> must get 204, GET ?verify=<wrong code> must get 404."""
    url = settings["FITBIT_SUBSCRIBER_URL"]
    separator = "&" if "?" in url else "?"
    checks = []
    for label, code, expected in (
        ("correct", settings["FITBIT_VERIFICATION_CODE"], 204),
        ("incorrect", "wrong-" + secrets.token_hex(8), 404),
    ):
        status = deliver(world, "fitbit", "verification", "GET", url + separator + urlencode({"verify": code}))
        checks.append({"verify": label, "status": status, "expected": expected})
    return _handshake_result(checks)


def verify_google_subscriber(world, settings):
    """Google's handshake: POST {"type":"verification"} with the secret must get 201, without it 401."""
    url = settings["GOOGLE_SUBSCRIBER_URL"]
    body = compact_json({"type": "verification"})
    checks = []
    for label, headers, expected in (
        ("with_secret", {"Authorization": settings["GOOGLE_HEALTH_WEBHOOK_SECRET"]}, 201),
        ("without_secret", {}, 401),
    ):
        headers = {"Content-Type": "application/json", **headers}
        status = deliver(world, "google", "verification", "POST", url, body, headers)
        checks.append({"verify": label, "status": status, "expected": expected})
    return _handshake_result(checks)
