"""Security bars: headers and CSP, https and cookie flags in production, CSRF on every form,
body size limits on every webhook, rate limits where people type and none that could drop platform pushes.

Covered elsewhere, and listed in docs/reliability.md: own-site redirects after sign-in
(tests/end_to_end/test_security.py::test_sign_in_only_ever_sends_the_browser_to_our_own_paths), tokens encrypted at
rest (tests/end_to_end/test_sign_in.py::test_tokens_are_not_stored_in_plain_text), codes hashed
(tests/integration/test_phone.py::test_a_valid_number_is_stored_and_texted_a_hashed_code), no secret in logs
(tests/end_to_end/test_account_lifecycle.py::test_no_token_code_or_secret_reaches_the_logs), codes per number and per
address (tests/integration/test_phone.py::test_at_most_five_codes_an_hour_go_to_one_number,
::test_at_most_ten_codes_an_hour_go_out_for_one_client_address).
"""

from __future__ import annotations

import json
import logging
import re
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlparse

import pytest

from app.extensions import csrf
from app.web.webhooks.platforms import fitbit_signature
from tests.support.factories import make_user
from tests.support.queued_work import NOTHING_QUEUED, queued_work

WEBHOOK_BLUEPRINTS = {"platform_webhooks", "vonage_webhooks"}
# Pages that are not ours to render as HTML: OAuth hand-offs, the event stream, static files.
NOT_PAGES = {"static", "google", "fitbit", "live", "health"}
PRODUCTION = {
    "APP_ENV": "production", "SANDBOX": "0", "GOOGLE_CLIENT_ID": "prod-client",
    "GOOGLE_CLIENT_SECRET": "prod-secret", "GOOGLE_HEALTH_WEBHOOK_SECRET": "prod-webhook-secret",
    "SMS_BACKEND": "outbox", "PUBLIC_URL": "https://battery.example",
}


def signed_in_client(app):
    """A browser signed in as a new user whose number still waits for its code."""
    user = make_user(phone="+447700900123", verified=False)
    return app.test_client(user=user), user


def html_pages(app) -> list[str]:
    """Every page a person can open: GET routes without arguments, outside webhooks and OAuth hand-offs."""
    paths = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rsplit(".", 1)[0] if "." in rule.endpoint else rule.endpoint
        if "GET" in rule.methods and not rule.arguments and blueprint not in NOT_PAGES | WEBHOOK_BLUEPRINTS:
            paths.append(rule.rule)
    return sorted(paths)


# --- headers ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/healthz", "/webhooks/fitbit?verify=wrong"])
def test_every_answer_carries_the_security_headers_and_a_self_only_content_security_policy(client, path):
    answer = client.get(path)
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "img-src 'self' data:" in policy
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_no_page_needs_inline_script_or_style_that_the_policy_would_block(app):
    client, _ = signed_in_client(app)
    checked = 0
    for path in html_pages(app) + ["/phone/code"]:
        answer = client.get(path)
        if answer.mimetype != "text/html":
            continue
        page = answer.get_data(as_text=True)
        checked += 1
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), f"inline script on {path}"
        assert not re.search(r"<style\b|\sstyle=", page), f"inline style on {path}"
        assert not re.search(r"\son[a-z]+=", page), f"inline event handler on {path}"
    assert checked >= 3


def test_in_development_http_is_served_as_is_and_webhooks_are_never_redirected(client, app):
    assert client.get("/").status_code == 200
    assert "Strict-Transport-Security" not in client.get("/").headers
    body = b'[{"collectionType":"activities","date":"2026-11-23","ownerId":"ABC123","ownerType":"user","subscriptionId":"1"}]'
    answer = client.post("/webhooks/fitbit", data=body, content_type="application/json",
                         headers={"X-Fitbit-Signature": fitbit_signature(body, app.config["FITBIT_CLIENT_SECRET"])})
    assert answer.status_code == 204


def test_in_production_http_is_redirected_to_https_with_hsts(make_app):
    production = make_app(**PRODUCTION).test_client()
    plain = production.get("/dashboard", base_url="http://battery.example")
    assert plain.status_code == 302 and plain.headers["Location"].startswith("https://")
    # Behind the router the scheme comes from X-Forwarded-Proto (ProxyFix).
    secure = production.get("/", base_url="http://battery.example", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_in_production_session_and_remember_cookies_are_secure_httponly_and_samesite_lax(make_app):
    app = make_app(**PRODUCTION)
    client = app.test_client()
    answer = client.get("/login/google", base_url="https://battery.example")
    assert answer.status_code == 302
    cookies = SimpleCookie()
    for header in answer.headers.getlist("Set-Cookie"):
        cookies.load(header)
    session = cookies[app.config.get("SESSION_COOKIE_NAME", "session")]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


# --- CSRF -------------------------------------------------------------------------------------------------

def test_only_the_signed_webhooks_and_a_visitor_s_language_switch_are_exempt_from_csrf():
    """The language switch checks the token itself once signed in (it changes the language of the person's
    texts); a visitor's switch only sets a cookie (tests/end_to_end/test_language_choice.py)."""
    assert {blueprint.name for blueprint in csrf._exempt_blueprints} == WEBHOOK_BLUEPRINTS
    assert csrf._exempt_views == {"app.web.signin.views.choose_language"}


def test_every_post_route_outside_the_webhooks_refuses_a_request_without_its_csrf_token(app):
    client, user = signed_in_client(app)
    refused = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint.split(".")[0] in WEBHOOK_BLUEPRINTS:
            continue
        path = re.sub(r"<int:\w+>", "1", rule.rule)
        for argument in rule.arguments:
            path = path.replace(f"<{argument}>", "google")
        answer = client.post(path, data={"phone": "07400 123456", "code": "123456", "confirm": "delete"})
        assert answer.status_code == 400, f"POST {path} without a CSRF token answered {answer.status_code}"
        assert "CSRF" in answer.get_data(as_text=True)
        refused.append(path)
    assert {"/phone", "/phone/code", "/logout", "/account/delete", "/people/new", "/people/1/remove"} <= set(refused)
    # Nothing changed behind the refusals: the account is still there, its number untouched.
    from app.extensions import db
    from app.models import User

    db.session.expire_all()
    assert db.session.get(User, user.id).phone == "+447700900123"


def test_every_form_on_every_page_carries_a_csrf_token(app):
    client, _ = signed_in_client(app)
    forms = 0
    for path in html_pages(app) + ["/phone/code", "/account/delete"]:
        answer = client.get(path)
        if answer.mimetype != "text/html":
            continue
        for form in re.findall(r"<form\b.*?</form>", answer.get_data(as_text=True), flags=re.S | re.I):
            if not re.search(r"method=[\"']?post", form, flags=re.I):
                continue
            forms += 1
            assert 'name="csrf_token"' in form, f"a form on {path} has no csrf_token field:\n{form[:300]}"
    assert forms >= 3


# --- webhook body size limits -----------------------------------------------------------------------------

WEBHOOK_POSTS = [
    ("/webhooks/fitbit", "application/json"),
    ("/webhooks/google-health", "application/json"),
    ("/webhooks/vonage/inbound", "application/json"),
    ("/webhooks/vonage/inbound", "application/x-www-form-urlencoded"),
    ("/webhooks/vonage/status", "application/json"),
    ("/webhooks/vonage/status", "application/x-www-form-urlencoded"),
]


def test_the_size_limit_test_covers_every_webhook(app):
    posting = {rule.rule for rule in app.url_map.iter_rules()
               if rule.rule.startswith("/webhooks/") and "POST" in rule.methods}
    assert posting == {path for path, _ in WEBHOOK_POSTS}


@pytest.mark.parametrize("path, content_type", WEBHOOK_POSTS)
def test_every_webhook_refuses_a_body_over_the_limit_and_queues_nothing(app, client, path, content_type):
    limit = int(app.config["WEBHOOK_MAX_BYTES"])
    if content_type == "application/json":
        body = json.dumps({"msisdn": "447700900123", "messageId": "m1", "text": "x" * limit, "status": "delivered",
                           "data": {"healthUserId": "1"}}).encode()
    else:
        body = b"msisdn=447700900123&messageId=m1&status=delivered&text=" + b"x" * limit
    headers = {"Authorization": app.config["GOOGLE_HEALTH_WEBHOOK_SECRET"]}
    if path == "/webhooks/fitbit":
        headers = {"X-Fitbit-Signature": fitbit_signature(body, app.config["FITBIT_CLIENT_SECRET"])}
    answer = client.post(path, data=body, content_type=content_type, headers=headers)
    assert answer.status_code == 413
    assert queued_work() == NOTHING_QUEUED


# --- rate limits ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("platform", ["google", "fitbit"])
def test_sign_in_is_limited_to_twenty_starts_a_minute_per_address(client, platform):
    answers = [client.get(f"/login/{platform}", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code
               for _ in range(21)]
    assert answers == [302] * 20 + [429]
    assert client.get(f"/login/{platform}", environ_base={"REMOTE_ADDR": "203.0.113.8"}).status_code == 302


def test_the_code_form_takes_at_most_thirty_posts_an_hour(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    user = make_user(phone="+447700900123", verified=False)
    client = app.test_client(user=user)
    answers = [client.post("/phone/code", data={"code": "000000"}).status_code for _ in range(31)]
    assert answers[:30] == [400] * 30 and answers[30] == 429


def test_platform_pushes_are_not_rate_limited_per_address(app, client):
    """All of a platform's pushes come from a few addresses: a per-address limit would drop genuine ones."""
    secret = app.config["GOOGLE_HEALTH_WEBHOOK_SECRET"]
    answers = set()
    for n in range(600):
        body = {"data": {"healthUserId": f"{n % 50}", "operation": "UPSERT", "dataType": "steps"}}
        answers.add(client.post("/webhooks/google-health", json=body, headers={"Authorization": secret},
                                environ_base={"REMOTE_ADDR": "203.0.113.50"}).status_code)
    assert answers == {204}


def test_a_phone_code_never_reaches_the_logs(app, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    user = make_user(phone=None)
    client = app.test_client(user=user)
    assert client.post("/phone", data={"phone": "07400 123456", "region": "GB"}).status_code == 302
    from app.extensions import db
    from app.models import OutgoingMessage

    body = db.session.scalars(db.select(OutgoingMessage.body)).one()
    code = re.search(r"\b(\d{6})\b", body).group(1)
    client.post("/phone/code", data={"code": code})
    assert caplog.text and code not in caplog.text


# --- Absolute URLs come from PUBLIC_URL, never from a header the client chose --------------------------

def oauth_redirect_uri(answer) -> str:
    assert answer.status_code == 302, answer.status_code
    return parse_qs(urlparse(answer.headers["Location"]).query)["redirect_uri"][0]


@pytest.mark.parametrize(("base_url", "headers"), [
    pytest.param("https://battery.example", {"X-Forwarded-Host": "evil.example"}, id="X-Forwarded-Host"),
    pytest.param("https://evil.example", {}, id="Host"),
])
def test_a_spoofed_host_never_reaches_the_oauth_redirect_uri_or_the_https_redirect(make_app, base_url, headers):
    production = make_app(**PRODUCTION).test_client()

    sign_in = production.get("/login/google", base_url=base_url, headers={"X-Forwarded-Proto": "https", **headers})
    plain = production.get("/dashboard", base_url=base_url.replace("https:", "http:"), headers=headers)

    assert oauth_redirect_uri(sign_in) == "https://battery.example/login/google/authorized"
    assert plain.status_code == 302 and plain.headers["Location"].startswith("https://battery.example/")
