"""Platform pushes go to their lean app: what a push needs (signature, size limit, request id, https) and no more."""

from __future__ import annotations

from app.extensions import queues
from tests.support.environment import production_on_test_services

GOOGLE_PUSH = {"data": {"healthUserId": "lean-1", "operation": "UPSERT"}}


def test_a_push_gets_its_request_id_and_neither_a_session_cookie_nor_page_headers(client, app):
    secret = app.config["GOOGLE_HEALTH_WEBHOOK_SECRET"]
    answer = client.post("/webhooks/google-health", json=GOOGLE_PUSH,
                         headers={"Authorization": secret, "X-Request-ID": "router-given-id-1"})

    assert answer.status_code == 204
    assert answer.headers["X-Request-ID"] == "router-given-id-1"
    assert "Set-Cookie" not in answer.headers and "Content-Security-Policy" not in answer.headers
    assert queues.redis.hget("sync:dirty", "google:lean-1") == b"1"


def test_the_site_around_the_pushes_is_unchanged(client):
    """The fitbit verification GET and every page still go through the site's app, with its headers."""
    page = client.get("/")
    verification = client.get("/webhooks/fitbit?verify=wrong")
    assert page.status_code == 200 and verification.status_code == 404
    assert all("Content-Security-Policy" in answer.headers for answer in (page, verification))


def test_in_production_a_plain_http_push_is_sent_to_https_and_queues_nothing(app, make_app, test_env):
    production = make_app(**production_on_test_services(test_env))
    secret = production.config["GOOGLE_HEALTH_WEBHOOK_SECRET"]
    client = production.test_client()

    plain = client.post("/webhooks/google-health", json=GOOGLE_PUSH, headers={"Authorization": secret},
                        base_url="http://battery.example.invalid")
    assert plain.status_code == 302 and plain.headers["Location"].startswith("https://")
    assert queues.redis.hlen("sync:dirty") == 0

    # Behind the router the scheme comes from X-Forwarded-Proto, as for every page.
    routed = client.post("/webhooks/google-health", json=GOOGLE_PUSH, base_url="http://battery.example.invalid",
                         headers={"Authorization": secret, "X-Forwarded-Proto": "https"})
    assert routed.status_code == 204
    assert queues.redis.hget("sync:dirty", "google:lean-1") == b"1"
