"""Pumping codes: spoofed client addresses, one account trying many numbers, the whole site's hourly count,
numbers in countries we do not text, and what the limits leave in Redis."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import func, select

from app.extensions import db, queues
from app.models import OutgoingMessage, PhoneVerification
from tests.support.environment import production_on_test_services
from tests.support.factories import make_user


@pytest.fixture
def browser(app, monkeypatch):
    """A signed-in user's browser on the phone pages (CSRF is tested elsewhere)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    return app.test_client(user=make_user(phone=None))


def texted_codes() -> int:
    return db.session.scalar(select(func.count()).select_from(OutgoingMessage).where(
        OutgoingMessage.kind == "verification"))


def test_the_limits_keep_no_phone_number_in_redis(browser):
    assert browser.post("/phone", data={"phone": "07400 123456", "region": "GB"}).status_code == 302

    keys = [key.decode() for key in queues.redis.scan_iter()]
    assert any("phone-codes-number" in key for key in keys)
    assert not [key for key in keys if "7400123456" in key]


def ask_for_codes(app, how_many: int, remote_addr: str, forwarded_for=None, **environ) -> list[int]:
    """Each time a new account asks for a code for a new number; the answers' status codes."""
    answers = []
    for n in range(how_many):
        client = app.test_client(user=make_user(phone=None))
        g.pop("_login_user", None)  # Flask-Login keeps the last user in the test's app context
        headers = {"X-Forwarded-Proto": "https"}
        if forwarded_for is not None:
            headers["X-Forwarded-For"] = forwarded_for(n)
        answer = client.post("/phone", data={"phone": f"07400 1234{n:02d}", "region": "GB"}, headers=headers,
                             base_url="https://localhost", environ_base={"REMOTE_ADDR": remote_addr, **environ})
        answers.append(answer.status_code)
    return answers


# Fourteen addresses the attacker made up, each put in front of whatever our own proxies append.
SPOOFED = [f"198.51.100.{n}" for n in range(14)]
ROUTER = "10.1.2.3"
ATTACKER = "203.0.113.9"


@pytest.mark.parametrize(("hops", "remote_addr", "forwarded_for"), [
    pytest.param("0", ATTACKER, lambda n: SPOOFED[n], id="no proxy in front"),
    pytest.param("1", ROUTER, lambda n: f"{SPOOFED[n]}, {ATTACKER}", id="the PaaS router"),
    pytest.param("2", ROUTER, lambda n: f"{SPOOFED[n]}, {ATTACKER}, 192.0.2.50", id="a CDN and the router"),
])
def test_fourteen_spoofed_forwarded_addresses_do_not_get_past_the_per_address_limit(
        app, make_app, test_env, hops, remote_addr, forwarded_for):
    production = make_app({"WTF_CSRF_ENABLED": False},
                          **production_on_test_services(test_env, FORWARDED_HOPS=hops))
    with production.app_context():
        answers = ask_for_codes(production, len(SPOOFED), remote_addr, forwarded_for)

    assert answers == [302] * 10 + [429] * 4
    assert texted_codes() == 10


def test_one_account_gets_at_most_ten_codes_an_hour_whatever_the_number(browser):
    answers = [
        browser.post("/phone", data={"phone": f"07400 5555{n:02d}", "region": "GB"},
                     environ_base={"REMOTE_ADDR": f"198.51.100.{n}"}).status_code
        for n in range(11)
    ]

    assert answers == [302] * 10 + [429]
    assert texted_codes() == 10


def test_the_site_sends_at_most_its_hourly_number_of_codes(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    monkeypatch.setitem(app.config, "SMS_CODES_PER_HOUR", 3)

    answers = []
    for n in range(4):
        client = app.test_client(user=make_user(phone=None))
        g.pop("_login_user", None)
        answers.append(client.post("/phone", data={"phone": f"07400 6666{n:02d}", "region": "GB"},
                                   environ_base={"REMOTE_ADDR": f"198.51.100.{n}"}).status_code)

    assert answers == [302, 302, 302, 429]
    assert texted_codes() == 3


def test_a_number_in_a_country_we_do_not_text_gets_a_clear_answer_and_no_code(browser):
    answer = browser.post("/phone", data={"phone": "+48 512 345 678", "region": "GB"})

    assert answer.status_code == 400
    assert "We can&#39;t text numbers in Poland yet." in answer.get_data(as_text=True)
    assert texted_codes() == 0
    assert db.session.scalars(select(PhoneVerification)).all() == []


def test_the_countries_we_text_are_a_setting(browser, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_COUNTRIES", ("GB",))

    page = browser.get("/phone").get_data(as_text=True)
    assert 'value="GB"' in page and 'value="IE"' not in page
    answer = browser.post("/phone", data={"phone": "087 123 4567", "region": "IE"})
    assert answer.status_code == 400 and "We can&#39;t text numbers in Ireland yet." in answer.get_data(as_text=True)
    assert texted_codes() == 0
