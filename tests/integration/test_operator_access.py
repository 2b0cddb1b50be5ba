"""The operator page and the metrics exist only for the operators and the scraper: everyone else gets 404."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import PendingPush, Platform
from tests.support.factories import make_user
from tests.support.pages import tables_of


@pytest.fixture
def operator(app, monkeypatch):
    user = make_user(platform=Platform.GOOGLE, platform_user_id="operator-1")
    monkeypatch.setitem(app.config, "ADMIN_USERS", frozenset({"google:operator-1", "fitbit:someone-else"}))
    return user


def test_the_operator_page_is_404_for_nobody_signed_in(client, operator):
    assert client.get("/admin").status_code == 404


def test_the_operator_page_is_404_for_a_signed_in_user_ADMIN_USERS_does_not_name(app, operator):
    # Same user id on the other platform: not the same account.
    stranger = make_user(platform=Platform.FITBIT, platform_user_id="operator-1")
    assert app.test_client(user=stranger).get("/admin").status_code == 404


def test_the_operator_page_opens_for_an_account_ADMIN_USERS_names(app, operator):
    answer = app.test_client(user=operator).get("/admin")
    assert answer.status_code == 200
    assert "Operator" in answer.text and answer.headers["Cache-Control"] == "no-store"


def test_metrics_are_404_without_a_METRICS_TOKEN_setting_whatever_is_sent(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_are_404_without_the_token_and_with_a_wrong_one(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-token-for-tests")
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-token-for-test"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": "scrape-token-for-tests"}).status_code == 404


def test_metrics_answer_the_bearer_of_the_token_in_prometheus_text_format(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-token-for-tests")
    answer = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-for-tests"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE battery_pushes_total counter" in answer.text
    assert "# TYPE battery_webhook_seconds histogram" in answer.text


def test_while_redis_is_down_the_operator_page_still_shows_the_pushes_kept_in_the_database(app, make_app, operator):
    db.session.add(PendingPush(platform="google", platform_user_id="kept-during-outage"))
    db.session.commit()
    cut_off = make_app({"ADMIN_USERS": frozenset({"google:operator-1"})}, REDIS_URL="redis://127.0.0.1:1/0")
    answer = cut_off.test_client(user=operator).get("/admin")
    assert answer.status_code == 200
    _, paragraphs = tables_of(answer.text)
    assert paragraphs["redis-down"].startswith("Redis is not answering.")
    assert paragraphs["pending-pushes"].startswith("Pushes kept in the database during a Redis outage: 1, the oldest")

