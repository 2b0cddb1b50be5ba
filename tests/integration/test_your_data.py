"""People's own data: "Download my data" holds what the privacy page says and no secret; the privacy page is
linked from the landing page, the settings and every page's footer; old texts go after 90 days."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask import g
from markupsafe import escape
from sqlalchemy import select

from app.domain.export import SECTIONS
from app.extensions import db
from app.models import BatteryReading, MessageStatus, OAuth, OutgoingMessage, PhoneVerification, utcnow
from app.models.recipients import Recipient
from app.tasks import maintenance
from app.tasks.delivery import queue_text
from app.web.phone.codes import code_hash, send_code
from tests.support.factories import make_device, make_user

ACCESS = "test-access-token-value"
REFRESH = "test-refresh-token-value"


@pytest.fixture
def account(app):
    """An account with everything the export covers, and every secret it must leave out."""
    user = make_user(display_name="Ada", threshold_percent=25)
    db.session.add(OAuth(provider="google", user_id=user.id, token={"access_token": ACCESS, "refresh_token": REFRESH}))
    device = make_device(user, battery_level=60)
    db.session.add(BatteryReading(device_id=device.id, read_at=utcnow(), battery_level=60))
    recipient = Recipient(user_id=user.id, phone="+447400123456", known_as="Ada", texts="low,empty")
    db.session.add(recipient)
    db.session.commit()
    queue_text(user, "low", "low:export", "Battery low: your Charge 6 is at 15%.")
    send_code(user, "192.0.2.1", recipient)  # a code waiting to be typed: its text still holds it
    return user


def exported(app, user) -> tuple[dict, str]:
    answer = app.test_client(user=user).get("/settings/my-data")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == 'attachment; filename="battery-text-my-data.json"'
    return answer.get_json(), answer.get_data(as_text=True)


def test_the_export_holds_each_part_the_privacy_page_lists_and_what_the_account_holds(app, account):
    data, _ = exported(app, account)
    privacy = app.test_client().get("/privacy").get_data(as_text=True)

    assert set(data) == {"exported_at", *SECTIONS}
    for name, says in SECTIONS.items():
        assert str(escape(says.capitalize())) in privacy, name
    assert data["account"]["display_name"] == "Ada" and data["account"]["phone"] == "+447700900123"
    assert data["settings"]["threshold_percent"] == 25
    assert data["people"] == [{"phone": "+447400123456", "known_as": "Ada", "texts": ["empty", "low"],
                               "state": "waiting", "added_at": data["people"][0]["added_at"],
                               "confirmed_at": None, "stopped_at": None}]
    assert [device["product_name"] for device in data["devices"]] == ["Charge 6"]
    assert [reading["battery_level"] for reading in data["readings"]] == [60]
    assert {text["kind"] for text in data["texts"]} == {"low", "verification"}


def test_the_export_holds_no_token_no_code_and_no_code_hash(app, account):
    verification = db.session.scalars(select(PhoneVerification)).one()
    code_text = db.session.scalars(select(OutgoingMessage).where(OutgoingMessage.kind == "verification")).one()
    code = re.search(r"\b(\d{6})\b", code_text.body).group(1)
    assert verification.code_hash == code_hash("+447400123456", code)

    _, text = exported(app, account)

    for secret in (ACCESS, REFRESH, code, verification.code_hash, account.session_version,
                   app.config["SECRET_KEY"], account.platform_user_id):
        assert secret not in text


def test_the_download_needs_the_account_signed_in(client):
    assert client.get("/settings/my-data").status_code == 302


def test_the_privacy_page_is_linked_from_the_landing_page_the_settings_and_every_footer(app, account):
    signed_in = app.test_client(user=account)
    link = 'href="/privacy"'

    assert link in app.test_client().get("/").get_data(as_text=True)
    assert link in app.test_client().get("/help").get_data(as_text=True)  # the footer, signed out
    g.pop("_login_user", None)  # Flask-Login keeps the last user in the test's app context
    settings = signed_in.get("/settings").get_data(as_text=True)
    assert settings.count(link) == 2  # the "Your data" card and the footer
    assert 'href="/settings/my-data"' in settings


def test_the_privacy_page_says_how_long_readings_and_texts_are_kept(app):
    page = app.test_client().get("/privacy").get_data(as_text=True)

    assert f"Battery readings: {maintenance.READING_RETENTION_DAYS} days" in page
    assert f"Texts: {maintenance.TEXT_RETENTION_DAYS} days" in page


def test_texts_older_than_ninety_days_go_and_a_queued_one_stays_until_it_is_settled(app):
    user = make_user()
    old_sent = queue_text(user, "low", "low:old-sent", "Battery low.")
    old_queued = queue_text(user, "low", "low:old-queued", "Battery low.")
    recent = queue_text(user, "low", "low:recent", "Battery low.")
    old_sent.status = MessageStatus.DELIVERED
    for message in (old_sent, old_queued):
        message.created_at = utcnow() - timedelta(days=91)
    recent.created_at = utcnow() - timedelta(days=89)
    db.session.commit()

    assert maintenance.prune_old_texts() == 1

    left = set(db.session.scalars(select(OutgoingMessage.idempotency_key)))
    assert left == {"low:old-queued", "low:recent"}


def test_the_export_file_is_json_a_person_can_read(app, account):
    _, text = exported(app, account)

    assert json.loads(text)["account"]["platform"] == "google"
    assert "\n  \"account\": {" in text
