"""Fitbit sign-in as the emulator plays it: consent, PKCE, client auth, single-use refresh tokens, revoke."""
import base64
import hashlib

import requests

from sandbox.server import LiveEmulator

CLIENT = ("sandbox-fitbit-client", "sandbox-fitbit-secret")
REDIRECT_URI = "http://127.0.0.1:5000/login/authorized"


def authorize_url(emulator, **extra):
    query = {"client_id": CLIENT[0], "response_type": "code", "redirect_uri": REDIRECT_URI, "scope": "settings profile activity"}
    query.update(extra)
    return requests.Request("GET", f"{emulator.url}/fitbit/oauth2/authorize", params=query).prepare().url


def token(emulator, form, auth=CLIENT):
    return requests.post(f"{emulator.url}/fitbit/oauth2/token", data=form, auth=auth, timeout=10)


def test_the_consent_screen_offers_existing_people_and_every_requested_scope(emulator, person):
    page = requests.get(authorize_url(emulator), timeout=10)
    assert page.status_code == 200
    assert "Ada" in page.text and person["id"] in page.text
    for scope in ("settings", "profile", "activity"):
        assert f'value="{scope}"' in page.text


def test_an_approving_person_gets_an_eight_hour_bearer_token_naming_their_fitbit_id(fitbit_login, person):
    granted = fitbit_login(person["id"])
    assert set(granted) == {"access_token", "expires_in", "refresh_token", "scope", "token_type", "user_id"}
    assert granted["expires_in"] == 28800
    assert granted["token_type"] == "Bearer"
    assert granted["user_id"] == person["fitbit_user_id"]
    assert set(granted["scope"].split()) == {"settings", "profile", "activity"}


def test_a_person_created_on_the_consent_screen_gets_a_tracker(emulator, control):
    response = requests.post(
        authorize_url(emulator, state="s"),
        data={"decision": "approve", "person": "new", "name": "Bo", "time_zone": "Asia/Tokyo", "scope": ["settings"]},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302 and "code=" in response.headers["Location"]
    (created,) = control("get", "/people").json()["people"]
    assert created["name"] == "Bo" and created["time_zone"] == "Asia/Tokyo"
    assert created["devices"][0]["product"] == "Charge 6"


def test_a_person_who_denies_sends_the_app_back_with_access_denied(emulator, person):
    response = requests.post(
        authorize_url(emulator, state="xyz"), data={"decision": "deny", "person": person["id"]}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{REDIRECT_URI}?error=access_denied&state=xyz"


def test_the_token_endpoint_refuses_a_client_without_the_right_basic_credentials(emulator):
    for auth in (None, ("sandbox-fitbit-client", "wrong")):
        response = token(emulator, {"grant_type": "authorization_code", "code": "x"}, auth=auth)
        assert response.status_code == 401
        assert response.json()["errors"][0]["errorType"] == "invalid_client"
        assert response.json()["success"] is False


def test_a_code_sent_with_a_pkce_challenge_needs_the_matching_verifier(emulator, person):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    for presented, expected_status in (("w" * 50, 400), (verifier, 200)):
        redirect = requests.post(
            authorize_url(emulator, code_challenge=challenge, code_challenge_method="S256"),
            data={"decision": "approve", "person": person["id"], "scope": ["settings"]},
            allow_redirects=False,
            timeout=10,
        ).headers["Location"]
        code = redirect.split("code=")[1].split("&")[0]
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": presented}
        response = token(emulator, form)
        assert response.status_code == expected_status
        if expected_status == 400:
            assert response.json() == {
                "errors": [{"errorType": "invalid_grant", "message": "Code verifier invalid."}],
                "success": False,
            }


def test_an_authorization_code_works_only_once(emulator, person):
    redirect = requests.post(
        authorize_url(emulator), data={"decision": "approve", "person": person["id"], "scope": ["settings"]}, allow_redirects=False, timeout=10
    ).headers["Location"]
    code = redirect.split("code=")[1].split("&")[0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    assert token(emulator, form).status_code == 200
    assert token(emulator, form).json()["errors"][0]["errorType"] == "invalid_grant"


def test_a_refresh_token_works_once_but_an_identical_repeat_inside_the_window_gets_the_same_pair(emulator, fitbit_login, person):
    first = fitbit_login(person["id"])
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    refreshed = token(emulator, form)
    repeated = token(emulator, form)
    assert refreshed.status_code == repeated.status_code == 200
    assert refreshed.json() == repeated.json()
    assert refreshed.json()["refresh_token"] != first["refresh_token"]
    different = token(emulator, {**form, "expires_in": "3600"})
    assert different.status_code == 400
    assert different.json()["errors"][0]["errorType"] == "invalid_grant"
    onward = token(emulator, {"grant_type": "refresh_token", "refresh_token": refreshed.json()["refresh_token"]})
    assert onward.status_code == 200


def test_a_spent_refresh_token_outside_the_grace_window_is_an_invalid_grant(subscriber):
    with LiveEmulator({"APP_URL": subscriber.url, "FITBIT_REFRESH_GRACE_SECONDS": "0"}) as emulator:
        person_id = requests.post(f"{emulator.url}/_control/people", json={}, timeout=10).json()["id"]
        redirect = requests.post(
            authorize_url(emulator), data={"decision": "approve", "person": person_id, "scope": ["settings"]}, allow_redirects=False, timeout=10
        ).headers["Location"]
        code = redirect.split("code=")[1].split("&")[0]
        granted = token(emulator, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}).json()
        form = {"grant_type": "refresh_token", "refresh_token": granted["refresh_token"]}
        assert token(emulator, form).status_code == 200
        again = token(emulator, form)
    assert again.status_code == 400
    assert again.json()["errors"][0]["errorType"] == "invalid_grant"
    assert again.json()["success"] is False


def test_revoking_a_token_ends_the_grant_for_api_calls_and_refreshes(emulator, fitbit_login, person):
    granted = fitbit_login(person["id"])
    revoked = requests.post(f"{emulator.url}/fitbit/oauth2/revoke", data={"token": granted["refresh_token"]}, auth=CLIENT, timeout=10)
    assert revoked.status_code == 200
    devices = requests.get(
        f"{emulator.url}/fitbit/1/user/-/devices.json", headers={"Authorization": f"Bearer {granted['access_token']}"}, timeout=10
    )
    assert devices.status_code == 401
    assert devices.json()["errors"][0]["errorType"] == "invalid_token"
    refresh = token(emulator, {"grant_type": "refresh_token", "refresh_token": granted["refresh_token"]})
    assert refresh.json()["errors"][0]["errorType"] == "invalid_grant"
