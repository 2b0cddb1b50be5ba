"""Fixtures for the emulator's own tests: a live emulator whose pushes reach a tiny subscriber, and sign-ins."""

from functools import partial

import pytest
import requests

from sandbox.server import LiveEmulator
from tests.support.oauth import fitbit_token, google_token
from tests.support.subscriber import Subscriber


@pytest.fixture
def subscriber():
    live = Subscriber()
    yield live
    live.stop()


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


@pytest.fixture
def fitbit_login(emulator):
    """Sign a person in with Fitbit: fitbit_login(person_id, granted=None, use_pkce=True) → the token JSON."""
    return partial(fitbit_token, emulator.url)


@pytest.fixture
def google_login(emulator):
    """Sign a person in with Google (offline by default): google_login(person_id, …) → the token JSON."""
    return partial(google_token, emulator.url)
