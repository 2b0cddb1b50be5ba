"""The operator page and the metrics exist only for the operators and the scraper: everyone else gets 404."""

from __future__ import annotations

import pytest

from app.models import Platform
from tests.support.factories import make_user


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
