"""`/healthz` tells the platform whether the database and Redis answer, and whether Vonage accepts our account."""

from __future__ import annotations

import responses

from app.tasks.delivery import Delivery, deliver_text, queue_text
from tests.support.factories import make_user
from tests.support.vonage import VONAGE_SETTINGS, VONAGE_SMS_URL, accepted


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


def test_health_is_503_naming_vonage_while_it_refuses_our_account_and_ok_once_it_takes_a_text(app, client, monkeypatch):
    for name, value in VONAGE_SETTINGS.items():
        monkeypatch.setitem(app.config, name, value)
    user = make_user()
    with responses.RequestsMock() as vonage:
        vonage.post(VONAGE_SMS_URL, status=401, json={"type": "unauthorized"})
        vonage.post(VONAGE_SMS_URL, json=accepted())
        first = queue_text(user, "low", "low:health:1", "Battery low: your Charge 6 is at 15%.")
        second = queue_text(user, "low", "low:health:2", "Battery low: your Sense 2 is at 12%.")

        assert deliver_text(first.id) == Delivery.HELD_FOR_ACCOUNT
        refusing = client.get("/healthz")
        assert deliver_text(second.id) == Delivery.SUBMITTED
        accepting = client.get("/healthz")

    assert refusing.status_code == 503
    assert refusing.get_json() == {"status": "degraded", "database": "ok", "redis": "ok",
                                   "vonage_credentials": "refused"}
    assert accepting.status_code == 200
    assert accepting.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_the_landing_page_says_what_the_service_does(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "A text before your tracker dies." in response.get_data(as_text=True)


def test_a_missing_page_is_branded_for_people_and_plain_for_machines(client):
    person = client.get("/no-such-page", headers={"Accept": "text/html"})
    machine = client.get("/no-such-page", headers={"Accept": "application/json"})

    assert person.status_code == machine.status_code == 404
    assert "<title>Page not found · Battery Text</title>" in person.get_data(as_text=True)
    assert "Battery Text" not in machine.get_data(as_text=True)


def test_a_server_error_is_a_branded_page_that_needs_no_database(app, make_app):
    user = make_user()
    broken = make_app({"PROPAGATE_EXCEPTIONS": False}, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")

    answer = broken.test_client(user=user).get("/dashboard", headers={"Accept": "text/html"})

    assert answer.status_code == 500
    assert "Something went wrong on our side" in answer.get_data(as_text=True)


def test_help_explains_each_word_people_can_text_us(client):
    page = client.get("/help").get_data(as_text=True)

    for word in ("BATTERY", "STOP", "START", "HELP"):
        assert f"<dt>{word}</dt>" in page
    assert "Message and data rates may apply." in page


def test_the_footer_gives_the_contact_address_when_the_site_has_one(make_app):
    with_contact = make_app(CONTACT_EMAIL="help@battery.example").test_client().get("/").get_data(as_text=True)
    without = make_app().test_client().get("/").get_data(as_text=True)

    assert '<a href="mailto:help@battery.example">help@battery.example</a>' in with_contact
    assert "mailto:" not in without
