"""The language: the browser's Accept-Language until the visitor chooses, the switch (no JavaScript needed) kept
for visitors and stored on the account, and the account's language fixed at sign-up from what they were reading."""

from __future__ import annotations

import re

import requests
from sqlalchemy import select

from app.extensions import db
from app.models import User


def page_language(html: str) -> str:
    return re.search(r'<html lang="([a-z]+)"', html).group(1)


def switch(browser: requests.Session, url: str, language: str, back: str = "/", **extra) -> requests.Response:
    page = browser.get(url + back, timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return browser.post(f"{url}/language", data={"language": language, "next": back, "csrf_token": token, **extra},
                        allow_redirects=False, timeout=10)


def test_a_visitor_reads_the_language_their_browser_asks_for_until_they_choose(live_app):
    browser = requests.Session()
    asked = browser.get(live_app.url + "/", headers={"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.5"}, timeout=10)
    assert page_language(asked.text) == "fr"
    assert ">Langue<" in asked.text
    assert page_language(browser.get(live_app.url + "/", headers={"Accept-Language": "ja, pt-BR"}, timeout=10).text) == "en"

    chosen = switch(browser, live_app.url, "de", back="/privacy")
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/privacy"
    again = browser.get(live_app.url + "/", headers={"Accept-Language": "fr"}, timeout=10)
    assert page_language(again.text) == "de"
    assert ">Sprache<" in again.text


def test_the_switch_never_sends_anyone_to_another_site_and_ignores_a_language_we_do_not_speak(live_app):
    browser = requests.Session()
    for back in ("//evil.example/", "https://evil.example/", "/\\evil.example", "privacy"):
        answer = switch(browser, live_app.url, "es", back="/", next=back)
        assert answer.headers["Location"] == "/", back
    unknown = switch(browser, live_app.url, "pt")
    assert "language=" not in unknown.headers.get("Set-Cookie", "")
    assert page_language(browser.get(live_app.url + "/", timeout=10).text) == "es"


def test_an_account_speaks_the_language_chosen_before_signing_up_and_the_switch_changes_it(
        live_app, emulator, sign_in):
    person = emulator.person(name="Lena", time_zone="Europe/Berlin")
    browser = requests.Session()
    switch(browser, live_app.url, "de")
    sign_in("google", person["id"], session=browser)
    user = db.session.scalars(select(User)).one()
    assert user.language == "de"

    # Signed in, the account's language wins over the browser's and the cookie's.
    browser.cookies.set("language", "fr")
    assert page_language(browser.get(live_app.url + "/phone", headers={"Accept-Language": "es"}, timeout=10).text) == "de"

    # A signed-in switch needs its CSRF token: another site cannot change someone's texts' language.
    forged = browser.post(f"{live_app.url}/language", data={"language": "es", "next": "/"}, allow_redirects=False,
                          timeout=10)
    assert forged.status_code == 400
    switch(browser, live_app.url, "es", back="/phone")
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "es"


def test_an_account_made_without_a_choice_speaks_the_browser_s_language(live_app, emulator, sign_in):
    person = emulator.person(name="Lucía")
    browser = requests.Session()
    browser.headers["Accept-Language"] = "es-MX,es;q=0.9"
    sign_in("google", person["id"], session=browser)
    assert db.session.scalars(select(User)).one().language == "es"
