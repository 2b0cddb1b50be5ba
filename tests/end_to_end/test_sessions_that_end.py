"""Sessions that end: saved and replayed cookies after sign-out or deletion, over real HTTP against the live app.

Each test performs an attack from the security review and sees it fail: a deleted account's cookie opening the
next account, a remember-me cookie replayed after sign-out, a second browser still in after "sign out everywhere".
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlparse

import requests

from app.extensions import db
from app.models import Platform, User, utcnow
from tests.support.journeys import signed_up_user

SESSION_COOKIE = "session"
REMEMBER_COOKIE = "remember_token"
NEXT_PHONE = "+447700900456"


def saved_cookie(browser: requests.Session, name: str) -> dict[str, str]:
    """One cookie as a browser profile or an attacker would keep it."""
    return {name: browser.cookies[name]}


def replayed(cookies: dict[str, str]) -> requests.Session:
    """A fresh browser holding only the saved cookies."""
    browser = requests.Session()
    for name, value in cookies.items():
        browser.cookies.set(name, value)
    return browser


def csrf_token(page: requests.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def sends_to_the_landing_page(answer: requests.Response) -> bool:
    return answer.status_code == 302 and urlparse(answer.headers["Location"]).path == "/"


def delete_account(browser: requests.Session, live_app) -> None:
    page = browser.get(live_app.url + "/account/delete", timeout=10)
    answer = browser.post(live_app.url + "/account/delete", data={"csrf_token": csrf_token(page), "confirm": "delete"},
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 302


def sign_out(browser: requests.Session, live_app, page: str = "/dashboard") -> requests.Response:
    shown = browser.get(live_app.url + page, timeout=10)
    return browser.post(live_app.url + "/logout", data={"csrf_token": csrf_token(shown)}, timeout=10)


def test_a_deleted_accounts_saved_session_and_remember_cookies_do_not_open_the_next_account(
    emulator, sign_in, live_app
):
    _, leaving, browser = signed_up_user(emulator, sign_in, "google")
    leaving_id = leaving.id
    assert browser.get(live_app.url + "/settings", timeout=10).status_code == 200
    saved_session, saved_remember = saved_cookie(browser, SESSION_COOKIE), saved_cookie(browser, REMEMBER_COOKIE)
    delete_account(browser, live_app)

    _, newcomer, newcomer_browser = signed_up_user(emulator, sign_in, "google", phone=NEXT_PHONE)
    assert newcomer.id != leaving_id  # ids are never reused, SQLite included
    assert NEXT_PHONE in newcomer_browser.get(live_app.url + "/settings", timeout=10).text
    for cookies in (saved_session, saved_remember, {**saved_session, **saved_remember}):
        for page in ("/dashboard", "/settings"):
            answer = replayed(cookies).get(live_app.url + page, allow_redirects=False, timeout=10)
            assert sends_to_the_landing_page(answer), (cookies.keys(), page)
            assert NEXT_PHONE not in answer.text


def test_a_deleted_accounts_cookies_open_nothing_even_if_its_id_were_given_to_a_new_account(
    emulator, sign_in, live_app
):
    _, leaving, browser = signed_up_user(emulator, sign_in, "google")
    leaving_id = leaving.id
    saved = {**saved_cookie(browser, SESSION_COOKIE), **saved_cookie(browser, REMEMBER_COOKIE)}
    delete_account(browser, live_app)
    # What a database that reuses ids would do: the next account gets the deleted one's id.
    db.session.expunge_all()
    db.session.add(User(id=leaving_id, platform=Platform.GOOGLE, platform_user_id="someone-else", phone=NEXT_PHONE,
                        phone_verified_at=utcnow()))
    db.session.commit()
    for cookies in (saved, {REMEMBER_COOKIE: saved[REMEMBER_COOKIE]}):
        answer = replayed(cookies).get(live_app.url + "/settings", allow_redirects=False, timeout=10)
        assert sends_to_the_landing_page(answer)
        assert NEXT_PHONE not in answer.text


def test_a_remember_cookie_replayed_after_sign_out_is_refused(emulator, sign_in, live_app):
    _, _, browser = signed_up_user(emulator, sign_in, "fitbit")
    saved_session, saved_remember = saved_cookie(browser, SESSION_COOKIE), saved_cookie(browser, REMEMBER_COOKIE)
    assert replayed(saved_remember).get(live_app.url + "/dashboard", allow_redirects=False, timeout=10).status_code == 200
    signed_out = sign_out(browser, live_app)
    assert "signed out on every browser and phone" in signed_out.text
    for cookies in (saved_remember, saved_session, {**saved_session, **saved_remember}):
        answer = replayed(cookies).get(live_app.url + "/dashboard", allow_redirects=False, timeout=10)
        assert sends_to_the_landing_page(answer), cookies.keys()


def test_signing_in_again_after_sign_out_works_and_keeps_other_sessions_until_the_next_sign_out(
    emulator, sign_in, live_app
):
    person, _, browser = signed_up_user(emulator, sign_in, "google")
    sign_out(browser, live_app)
    again, _ = sign_in("google", person["id"])
    other, _ = sign_in("google", person["id"])
    assert again.get(live_app.url + "/dashboard", allow_redirects=False, timeout=10).status_code == 200
    assert other.get(live_app.url + "/dashboard", allow_redirects=False, timeout=10).status_code == 200


def test_sign_out_everywhere_on_the_settings_page_ends_a_second_browsers_session(emulator, sign_in, live_app):
    person, _, phone_browser = signed_up_user(emulator, sign_in, "google")
    laptop, _ = sign_in("google", person["id"])
    assert phone_browser.get(live_app.url + "/dashboard", allow_redirects=False, timeout=10).status_code == 200
    settings = laptop.get(live_app.url + "/settings", timeout=10)
    assert "Sign out everywhere" in settings.text
    signed_out = laptop.post(live_app.url + "/logout", data={"csrf_token": csrf_token(settings)}, timeout=10)
    assert "signed out on every browser and phone" in signed_out.text
    for browser in (phone_browser, laptop):
        assert sends_to_the_landing_page(browser.get(live_app.url + "/dashboard", allow_redirects=False, timeout=10))


def test_remember_me_lasts_thirty_days(emulator, sign_in):
    _, _, browser = signed_up_user(emulator, sign_in, "google")
    remember = next(cookie for cookie in browser.cookies if cookie.name == REMEMBER_COOKIE)
    days = (remember.expires - time.time()) / 86400
    assert 29.9 < days <= 30

