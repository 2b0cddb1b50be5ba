"""Attacks on the running site from the security review, each performed as written and seen to fail."""

from __future__ import annotations

import stat

import pytest

from app.config import load_settings
from app.environment import INSTANCE_DIR
from app.extensions import db
from app.models import User
from tests.support.factories import make_user


@pytest.fixture
def signed_in(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    user = make_user()
    return user, app.test_client(user=user)


def test_a_body_over_one_megabyte_to_a_page_is_refused_before_it_is_read(signed_in):
    user, client = signed_in
    answer = client.post("/settings", data={"threshold": "2" * (2 * 1024 * 1024)})
    assert answer.status_code == 413
    db.session.expire_all()
    assert db.session.get(User, user.id).threshold_percent == 20


@pytest.mark.parametrize("typed", ["²", "٣٠", "5" * 5000, "+20", "20.0", ""])
def test_a_settings_number_that_is_not_plain_digits_gets_a_clear_answer_and_saves_nothing(signed_in, typed):
    user, client = signed_in
    form = {"threshold": typed, "quiet_start": "", "quiet_end": "", "time_zone": "UTC"}
    answer = client.post("/settings", data=form)
    assert answer.status_code == 400
    assert "Choose a whole number from 10 to 50." in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).threshold_percent == 20


@pytest.mark.parametrize("typed", ["²²:00", "٢٢:00", "22:٠٠"])
def test_quiet_hours_in_other_digits_get_a_clear_answer(signed_in, typed):
    _, client = signed_in
    form = {"threshold": "20", "quiet_start": typed, "quiet_end": "07:00", "time_zone": "UTC"}
    answer = client.post("/settings", data=form)
    assert answer.status_code == 400
    assert "Give both a start and an end time" in answer.get_data(as_text=True)


def test_the_development_database_and_secrets_are_readable_by_their_owner_only(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    load_settings({"APP_ENV": "development", "REDIS_URL": "redis://127.0.0.1:6379/0"})
    mode = stat.S_IMODE(INSTANCE_DIR.stat().st_mode)
    assert mode & 0o077 == 0, oct(mode)
