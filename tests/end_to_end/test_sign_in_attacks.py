"""Attacks on signing in, performed as written in the security review, and seen to fail."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests


def authorization_code_for(app_url: str, platform: str, person_id: str) -> str:
    """The victim approves at the platform; the code in the callback to our app is taken before it is used."""
    victim = requests.Session()
    start = victim.get(f"{app_url}/login/{platform}", allow_redirects=False, timeout=10)
    consent_url = start.headers["Location"]
    requested = parse_qs(urlparse(consent_url).query)["scope"][0].split()
    approved = victim.post(consent_url, data={"decision": "approve", "person": person_id, "scope": requested},
                           allow_redirects=False, timeout=10)
    return parse_qs(urlparse(approved.headers["Location"]).query)["code"][0]


@pytest.mark.parametrize("platform", ["google", "fitbit"])
def test_an_injected_authorization_code_does_not_sign_the_attacker_into_the_victims_account(
    emulator, live_app, platform
):
    victim = emulator.person()
    stolen_code = authorization_code_for(live_app.url, platform, victim["id"])
    attacker = requests.Session()
    start = attacker.get(f"{live_app.url}/login/{platform}", allow_redirects=False, timeout=10)
    assert parse_qs(urlparse(start.headers["Location"]).query)["code_challenge_method"] == ["S256"]
    state = parse_qs(urlparse(start.headers["Location"]).query)["state"][0]

    callback = attacker.get(f"{live_app.url}/login/{platform}/authorized",
                            params={"code": stolen_code, "state": state}, allow_redirects=False, timeout=30)

    assert callback.status_code == 302 and not callback.headers["Location"].endswith("/next")
    dashboard = attacker.get(f"{live_app.url}/dashboard", allow_redirects=False, timeout=10)
    assert dashboard.status_code == 302  # not signed in: sent back to the landing page
