"""Security bars that need the live app: after signing in, the browser is only ever sent to our own paths.

The rest of the security bars, in process, are in tests/integration/test_security.py.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests


@pytest.mark.parametrize("next_url", ["https://evil.example/steal", "//evil.example/", "/\\evil.example"])
def test_sign_in_only_ever_sends_the_browser_to_our_own_paths(emulator, live_app, next_url):
    person = emulator.person(devices=[{"product": "Charge 6", "battery_level": 80}])
    browser = requests.Session()
    start = browser.get(f"{live_app.url}/login/google", params={"next": next_url}, allow_redirects=False, timeout=10)
    consent_url = start.headers["Location"]
    requested = parse_qs(urlparse(consent_url).query)["scope"][0].split()
    answer = browser.post(consent_url, data={"decision": "approve", "person": person["id"], "scope": requested},
                          allow_redirects=False, timeout=10)
    back = browser.get(answer.headers["Location"], params={"next": next_url}, allow_redirects=False, timeout=30)
    hops = [back]
    while hops[-1].status_code in (301, 302, 303, 307, 308) and len(hops) < 5:
        location = hops[-1].headers["Location"]
        target = urlparse(location)
        assert target.netloc in ("", urlparse(live_app.url).netloc) and not location.startswith("//"), location
        assert "evil" not in location
        hops.append(browser.get(requests.compat.urljoin(live_app.url, location), allow_redirects=False, timeout=10))
    assert hops[-1].status_code == 200
