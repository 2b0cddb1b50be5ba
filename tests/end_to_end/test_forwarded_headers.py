"""Behind the platform's router (FORWARDED_HOPS=1) the app believes the X-Forwarded-For, -Proto and -Port the
router sets, and nothing else a client sends: not X-Forwarded-Host, not a made-up X-Forwarded-For entry, not
headers gunicorn would once have believed from anyone. One place reads them, the app's ProxyFix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from local_servers import free_port
from tests.support.environment import production_on_test_services
from tests.support.paths import ROOT
from tests.support.polling import wait_until

PUBLIC_URL = "https://battery.example"
# The sign-in pages allow 20 requests a minute from one address (app/web/signin/platforms.py).
SIGN_IN_LIMIT = 20
ATTACKER = "203.0.113.9"
SOMEONE_ELSE = "203.0.113.77"


def oauth_redirect_uri(answer) -> str:
    assert answer.status_code == 302, answer.status_code
    return parse_qs(urlparse(answer.headers["Location"]).query)["redirect_uri"][0]


def router(proto: str = "https", port: str = "443", client: str = ATTACKER, **client_sent: str) -> dict[str, str]:
    """A request's headers as the router hands it on: its own X-Forwarded-* after whatever the client sent."""
    headers = {"Host": "battery.example", **client_sent}
    headers["X-Forwarded-For"] = ", ".join(filter(None, [client_sent.get("X-Forwarded-For"), client]))
    headers["X-Forwarded-Proto"] = proto
    headers["X-Forwarded-Port"] = port
    return headers


def test_the_scheme_the_router_reports_decides_between_the_page_and_the_https_redirect(make_app, test_env):
    # Production always has PUBLIC_URL: it, not the router's port, gives the host and port of the URLs we build.
    production = make_app(**production_on_test_services(test_env, PUBLIC_URL=PUBLIC_URL)).test_client()

    as_usual = production.get("/login/google", headers=router())
    plain = production.get("/login/google", headers=router(proto="http", port="80"))

    assert oauth_redirect_uri(as_usual) == "https://battery.example/login/google/authorized"
    assert plain.status_code == 302 and plain.headers["Location"] == "https://battery.example/login/google"


def test_with_public_url_neither_x_forwarded_host_nor_port_changes_the_urls_we_build(make_app, test_env):
    production = make_app(**production_on_test_services(test_env, PUBLIC_URL=PUBLIC_URL)).test_client()

    answer = production.get("/login/google", headers=router(port="8443", **{"X-Forwarded-Host": "evil.example"}))

    assert oauth_redirect_uri(answer) == "https://battery.example/login/google/authorized"


@pytest.fixture(scope="module")
def web(test_env):
    """gunicorn as the Procfile starts it, on the production settings, behind a pretend router (the test)."""
    port = free_port()
    environ = production_on_test_services(test_env, PUBLIC_URL=PUBLIC_URL, PORT=str(port), WEB_CONCURRENCY="1")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app", "--config", "gunicorn.conf.py"],
                               cwd=ROOT, env={**os.environ, **environ}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return requests.get(url + "/healthz", headers=router(), timeout=2).status_code in (200, 503)
        except requests.RequestException:
            return False

    try:
        wait_until(answers, seconds=30, what="gunicorn to answer")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def get(url: str, headers: dict[str, str]) -> requests.Response:
    return requests.get(url, headers=headers, allow_redirects=False, timeout=10)


def test_under_gunicorn_a_made_up_leftmost_forwarded_for_entry_does_not_get_past_the_sign_in_limit(app, web):
    answers = []
    # Each request names a new address of the attacker's choosing in front of the one the router appends.
    while 429 not in answers and len(answers) <= 2 * SIGN_IN_LIMIT:
        made_up = f"198.51.100.{len(answers)}"
        answers.append(get(web + "/login/google", router(**{"X-Forwarded-For": made_up})).status_code)

    assert answers == [302] * SIGN_IN_LIMIT + [429]
    assert get(web + "/login/google", router(**{"X-Forwarded-For": "198.51.100.200"})).status_code == 429
    assert get(web + "/login/google", router(client=SOMEONE_ELSE)).status_code == 302


def test_under_gunicorn_the_client_cannot_set_the_host_or_the_script_name_of_the_urls_we_build(app, web):
    spoofed = {"X-Forwarded-Host": "evil.example", "SCRIPT_NAME": "/evil"}

    answer = get(web + "/login/google", router(**spoofed))
    prefixed = get(web + "/evil/login/google", router(**spoofed))

    assert oauth_redirect_uri(answer) == "https://battery.example/login/google/authorized"
    assert prefixed.status_code == 404, "a client's SCRIPT_NAME header is not a path prefix of ours"


def test_under_gunicorn_plain_http_stays_plain_whatever_scheme_headers_the_client_adds(app, web):
    answer = get(web + "/login/google", router(proto="http", port="80", **{"X-Forwarded-Ssl": "on"}))

    assert answer.status_code == 302
    assert answer.headers["Location"] == "https://battery.example/login/google"
