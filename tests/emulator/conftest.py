"""Fixtures for the emulator tests: a live emulator, a tiny subscriber standing in for our app, sign-in helpers."""
import base64
import hashlib
import threading
import time
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests
from flask import Flask, request

from sandbox.server import LiveEmulator, LiveServer

REDIRECT_URI = "http://127.0.0.1:5000/login/authorized"
FITBIT_SCOPES = "settings profile activity"
GOOGLE_SETTINGS_SCOPE = "https://www.googleapis.com/auth/googlehealth.settings.readonly"
GOOGLE_ACTIVITY_SCOPE = "https://www.googleapis.com/auth/googlehealth.activity_and_fitness.readonly"
GOOGLE_SCOPES = f"{GOOGLE_SETTINGS_SCOPE} {GOOGLE_ACTIVITY_SCOPE}"


def eventually(check, timeout=5.0):
    """Poll `check` until it returns something truthy or the deadline passes (background threads)."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = check()
        if outcome or time.monotonic() > deadline:
            return outcome
        time.sleep(0.02)


class Subscriber:
    """Our app's webhooks reduced to recording what arrives and answering as the test says."""

    def __init__(self, verification_code="sandbox-verify-code", google_secret="sandbox-google-webhook-secret"):
        self.verification_code = verification_code
        self.google_secret = google_secret
        self.google_answers = []
        self.received = []
        self._lock = threading.Lock()
        app = Flask("subscriber")
        app.add_url_rule("/webhooks/fitbit", view_func=self.fitbit, methods=["GET", "POST"])
        app.add_url_rule("/webhooks/google-health", view_func=self.google, methods=["POST"])
        app.add_url_rule("/webhooks/vonage/inbound", view_func=self.vonage, methods=["POST"], endpoint="inbound")
        app.add_url_rule("/webhooks/vonage/status", view_func=self.vonage, methods=["POST"], endpoint="status")
        self.server = LiveServer(app)
        self.url = self.server.url

    def _record(self):
        with self._lock:
            self.received.append(
                {
                    "path": request.path,
                    "method": request.method,
                    "args": request.args.to_dict(),
                    "headers": dict(request.headers),
                    "body": request.get_data(),
                }
            )

    def fitbit(self):
        self._record()
        if request.method == "GET":
            return "", 204 if request.args.get("verify") == self.verification_code else 404
        return "", 204

    def google(self):
        self._record()
        if (request.get_json(silent=True) or {}).get("type") == "verification":
            return "", 201 if request.headers.get("Authorization") == self.google_secret else 401
        with self._lock:
            status = self.google_answers.pop(0) if self.google_answers else 204
        return "", status

    def vonage(self):
        self._record()
        return "", 204

    def arrivals(self, path, method="POST"):
        with self._lock:
            return [entry for entry in self.received if entry["path"] == path and entry["method"] == method]


@pytest.fixture
def subscriber():
    live = Subscriber()
    yield live
    live.server.stop()


@pytest.fixture
def emulator(subscriber):
    with LiveEmulator(
        {"APP_URL": subscriber.url, "GOOGLE_RETRY_DELAYS": "0.05,0.05,0.05", "VONAGE_RECEIPT_DELAY_SECONDS": "0"}
    ) as live:
        yield live


@pytest.fixture
def control(emulator):
    """Call the control API: control("post", "/people", json={...}) → requests.Response."""

    def call(method, path, **kwargs):
        return requests.request(method, f"{emulator.url}/_control{path}", timeout=10, **kwargs)

    return call


@pytest.fixture
def person(control):
    """An emulated person with a Charge 6 at 42 %, in New York."""
    return control(
        "post",
        "/people",
        json={"name": "Ada", "time_zone": "America/New_York", "devices": [{"product": "Charge 6", "battery_level": 42}]},
    ).json()


def pkce_pair(verifier="a-verifier-long-enough-to-satisfy-rfc-7636-rules-0123456789"):
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def consent(authorize_url, person_id, requested, granted=None, decision="approve", **extra):
    """Answer a consent screen as the person would; returns the redirect's query parameters."""
    query = {
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": requested,
        "state": "state-123",
        **extra,
    }
    granted = requested.split() if granted is None else granted
    response = requests.post(
        authorize_url + "?" + urlencode(query),
        data={"decision": decision, "person": person_id, "scope": granted},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {name: values[0] for name, values in parse_qs(urlparse(location).query).items()}


@pytest.fixture
def fitbit_login(emulator):
    """Sign a person in with Fitbit; returns the token endpoint's JSON (asserting 200)."""

    def login(person_id, granted=None, use_pkce=True):
        extra = {"client_id": "sandbox-fitbit-client"}
        verifier, challenge = pkce_pair()
        if use_pkce:
            extra.update(code_challenge=challenge, code_challenge_method="S256")
        redirect = consent(f"{emulator.url}/fitbit/oauth2/authorize", person_id, FITBIT_SCOPES, granted, **extra)
        form = {"grant_type": "authorization_code", "code": redirect["code"], "redirect_uri": REDIRECT_URI}
        if use_pkce:
            form["code_verifier"] = verifier
        response = requests.post(
            f"{emulator.url}/fitbit/oauth2/token", data=form, auth=("sandbox-fitbit-client", "sandbox-fitbit-secret"), timeout=10
        )
        assert response.status_code == 200, response.text
        return response.json()

    return login


@pytest.fixture
def google_login(emulator):
    """Sign a person in with Google (offline by default); returns the token endpoint's JSON."""

    def login(person_id, granted=None, offline=True, **extra):
        extra = {"client_id": "sandbox-google-client", **extra}
        if offline:
            extra["access_type"] = "offline"
        redirect = consent(f"{emulator.url}/google/o/oauth2/v2/auth", person_id, GOOGLE_SCOPES, granted, **extra)
        form = {
            "grant_type": "authorization_code",
            "code": redirect["code"],
            "redirect_uri": REDIRECT_URI,
            "client_id": "sandbox-google-client",
            "client_secret": "sandbox-google-secret",
        }
        response = requests.post(f"{emulator.url}/google/token", data=form, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    return login


@pytest.fixture(name="eventually")
def eventually_fixture():
    return eventually
