"""Signing in against the emulator: its consent screen answered as a person would, its tokens, and our handler.

Three ways in, cheapest last: `walk_sign_in` takes a browser through our app's whole OAuth dance;
`fitbit_token` and `google_token` talk to the emulator alone, as a platform client does; `sign_in_handler`
finds the function our app runs when Flask-Dance reports an approved sign-in, to call it directly.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlparse

import requests
from flask_dance.consumer import OAuth2ConsumerBlueprint, oauth_authorized

# Any address will do: the emulator only checks that the code exchange names the one the consent screen had.
REDIRECT_URI = "http://127.0.0.1:5000/login/authorized"
FITBIT_CLIENT = ("sandbox-fitbit-client", "sandbox-fitbit-secret")
GOOGLE_CLIENT = ("sandbox-google-client", "sandbox-google-secret")
FITBIT_SCOPES = "settings profile activity"
GOOGLE_SETTINGS_SCOPE = "https://www.googleapis.com/auth/googlehealth.settings.readonly"
GOOGLE_ACTIVITY_SCOPE = "https://www.googleapis.com/auth/googlehealth.activity_and_fitness.readonly"
GOOGLE_SCOPES = f"{GOOGLE_SETTINGS_SCOPE} {GOOGLE_ACTIVITY_SCOPE}"


def walk_sign_in(app_url: str, platform: str, person_id: str, scopes: list[str] | None = None,
                 decision: str = "approve", session: requests.Session | None = None):
    """Walk our app's sign-in through the emulator's consent screen, as a browser would.

    Returns the browser (its cookies hold our session) and our app's answer to the platform's callback.
    """
    browser = session or requests.Session()
    start = browser.get(f"{app_url}/login/{platform}", allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text
    consent_url = start.headers["Location"]
    assert "scope=" in consent_url, consent_url
    requested = parse_qs(urlparse(consent_url).query)["scope"][0].split()
    answer = browser.post(
        consent_url,
        data={"decision": decision, "person": person_id, "scope": requested if scopes is None else scopes},
        allow_redirects=False, timeout=10,
    )
    assert answer.status_code == 302, answer.text
    back = browser.get(answer.headers["Location"], allow_redirects=False, timeout=30)
    return browser, back


def pkce_pair(verifier: str = "a-verifier-long-enough-to-satisfy-rfc-7636-rules-0123456789") -> tuple[str, str]:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def consent(authorize_url: str, person_id: str, requested: str, granted: list[str] | None = None,
            decision: str = "approve", **extra) -> dict[str, str]:
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


def fitbit_token(emulator_url: str, person_id: str, granted: list[str] | None = None, use_pkce: bool = True) -> dict:
    """Sign a person in with Fitbit; returns the token endpoint's JSON (asserting 200)."""
    extra = {"client_id": FITBIT_CLIENT[0]}
    verifier, challenge = pkce_pair()
    if use_pkce:
        extra.update(code_challenge=challenge, code_challenge_method="S256")
    redirect = consent(f"{emulator_url}/fitbit/oauth2/authorize", person_id, FITBIT_SCOPES, granted, **extra)
    form = {"grant_type": "authorization_code", "code": redirect["code"], "redirect_uri": REDIRECT_URI}
    if use_pkce:
        form["code_verifier"] = verifier
    response = requests.post(f"{emulator_url}/fitbit/oauth2/token", data=form, auth=FITBIT_CLIENT, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def google_token(emulator_url: str, person_id: str, granted: list[str] | None = None, offline: bool = True,
                 **extra) -> dict:
    """Sign a person in with Google (offline by default); returns the token endpoint's JSON (asserting 200)."""
    extra = {"client_id": GOOGLE_CLIENT[0], **extra}
    if offline:
        extra["access_type"] = "offline"
    redirect = consent(f"{emulator_url}/google/o/oauth2/v2/auth", person_id, GOOGLE_SCOPES, granted, **extra)
    form = {
        "grant_type": "authorization_code",
        "code": redirect["code"],
        "redirect_uri": REDIRECT_URI,
        "client_id": GOOGLE_CLIENT[0],
        "client_secret": GOOGLE_CLIENT[1],
    }
    response = requests.post(f"{emulator_url}/google/token", data=form, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def sign_in_handler(blueprint: OAuth2ConsumerBlueprint) -> Callable:
    """The function our app connected to Flask-Dance's `oauth_authorized` signal for this platform's blueprint.

    Looked up through the signal rather than imported, so the tests follow the handler wherever the app keeps it.
    """
    (handler,) = oauth_authorized.receivers_for(blueprint)
    return handler
