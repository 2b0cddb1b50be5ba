"""`/healthz` tells the platform whether the database and Redis answer."""

from __future__ import annotations


def test_health_is_ok_when_the_database_and_redis_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_health_is_503_when_redis_does_not_answer(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "degraded", "database": "ok", "redis": "unavailable"}


def test_health_is_503_when_the_database_does_not_answer(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/no-such-folder/db.sqlite3")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"


def test_the_landing_page_says_what_the_service_does(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "A text before your tracker dies." in response.get_data(as_text=True)
