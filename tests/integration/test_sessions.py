"""What a session may name: "<user id>:<session version>"; any other user id gets the landing page, never a 500."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from app.domain import accounts
from tests.support.factories import make_user

# {id} and {version} are the signed-up user's; each value is what a tampered, old or broken session could hold.
MALFORMED_USER_IDS = [
    "{id}",  # a session from before session versions: a bare id
    "{id}:",
    ":{version}",
    "{id}:not-the-version",
    "{id}:{version}:extra",
    "{id}:{version}\n",
    " {id}:{version}",
    "-{id}:{version}",
    "²:{version}",
    "99999999999999999999999999:{version}",
    "{id}:" + "v" * 5000,
    "abc",
    "",
    "\x00",
]


def sends_to_the_landing_page(answer) -> bool:
    return answer.status_code == 302 and urlparse(answer.headers["Location"]).path == "/"


def test_a_session_naming_the_user_and_their_session_version_opens_the_dashboard(app, client):
    user = make_user()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_version}"
    assert client.get("/dashboard").status_code == 200


@pytest.mark.parametrize("user_id", MALFORMED_USER_IDS)
def test_a_malformed_or_old_format_user_id_in_a_session_gets_the_landing_page(app, client, user_id):
    user = make_user()
    with client.session_transaction() as session:
        session["_user_id"] = user_id.format(id=user.id, version=user.session_version)
    for page in ("/dashboard", "/settings", "/next"):
        assert sends_to_the_landing_page(client.get(page)), page


@pytest.mark.parametrize("cookie", ["1", "1|", "1:abc|deadbeef", "|", "\u00b2"])
def test_a_forged_remember_cookie_gets_the_landing_page(app, client, cookie):
    make_user()
    client.set_cookie("remember_token", cookie)
    assert sends_to_the_landing_page(client.get("/dashboard"))


def test_ending_every_session_refuses_the_version_the_cookies_carry(app, client):
    user = make_user()
    old_id = user.get_id()
    accounts.end_every_session(user)
    assert accounts.user_for_session(old_id) is None
    assert accounts.user_for_session(user.get_id()) == user
