"""Pumping codes: spoofed client addresses, one account trying many numbers, the whole site's hourly count,
numbers in countries we do not text, and what the limits leave in Redis."""

from __future__ import annotations

import pytest

from app.extensions import queues
from tests.support.factories import make_user


@pytest.fixture
def browser(app, monkeypatch):
    """A signed-in user's browser on the phone pages (CSRF is tested elsewhere)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    return app.test_client(user=make_user(phone=None))


def test_the_limits_keep_no_phone_number_in_redis(browser):
    assert browser.post("/phone", data={"phone": "07400 123456", "region": "GB"}).status_code == 302

    keys = [key.decode() for key in queues.redis.scan_iter()]
    assert any("phone-codes-number" in key for key in keys)
    assert not [key for key in keys if "7400123456" in key]
