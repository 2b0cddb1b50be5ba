"""Per-device alert levels and mutes, the timed pause and the evening reminder's time, as the settings page saves them."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.domain import alerting, outbox
from app.extensions import db
from app.models import Device, OutgoingMessage, User, utcnow
from app.rules import alerts
from app.tasks.delivery import queue_text
from tests.support.factories import make_device, make_user

FORM = {"threshold": "20", "quiet_start": "", "quiet_end": "", "time_zone": "Europe/London", "remind": "on",
        "remind_at": "20:00"}


@pytest.fixture
def client_of(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    return lambda user: app.test_client(user=user)


def fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def test_a_new_account_is_reminded_at_20_00(app):
    assert make_user().remind_at == time(20, 0)


def test_each_tracker_keeps_its_own_alert_level_and_mute(app, client_of):
    user = make_user()
    watch = make_device(user, "Pixel Watch 3")
    band = make_device(user, "Charge 6", alert_level=35)
    answer = client_of(user).post("/settings", data={**FORM, f"level-{watch.id}": "40", f"muted-{watch.id}": "on",
                                                     f"level-{band.id}": ""})
    assert answer.status_code == 302
    assert (fresh(Device, watch.id).alert_level, fresh(Device, watch.id).muted) == (40, True)
    assert (fresh(Device, band.id).alert_level, fresh(Device, band.id).muted) == (None, False)


@pytest.mark.parametrize("typed", ["9", "51", "forty", "٣٠"])
def test_a_bad_tracker_level_is_named_and_nothing_is_saved(app, client_of, typed):
    user = make_user()
    watch = make_device(user, "Pixel Watch 3")
    answer = client_of(user).post("/settings", data={**FORM, "threshold": "30", f"level-{watch.id}": typed})
    assert answer.status_code == 400
    assert "For Pixel Watch 3, choose a whole number from 10 to 50" in answer.get_data(as_text=True)
    assert fresh(User, user.id).threshold_percent == 20
    assert fresh(Device, watch.id).alert_level is None


@pytest.mark.parametrize(("choice", "paused", "for_how_long"), [
    ("day", False, timedelta(days=1)),
    ("week", False, timedelta(days=7)),
    ("on", True, None),
    ("off", False, None),
])
def test_battery_texts_pause_for_a_day_a_week_or_until_resumed(app, client_of, choice, paused, for_how_long):
    user = make_user(paused_until=utcnow() + timedelta(hours=3))
    before = utcnow()
    client_of(user).post("/settings", data={**FORM, "paused": choice})
    saved = fresh(User, user.id)
    assert saved.paused is paused
    if for_how_long is None:
        assert saved.paused_until is None
    else:
        assert before + for_how_long <= saved.paused_until <= utcnow() + for_how_long


def test_a_timed_pause_is_shown_until_when_and_kept_when_other_settings_are_saved(app, client_of):
    until = utcnow().replace(microsecond=0) + timedelta(days=1)
    user = make_user(paused_until=until, time_zone="Europe/London", time_zone_from_platform=False)
    client = client_of(user)
    local = until.astimezone(ZoneInfo("Europe/London"))
    shown = f"until {local:%a} {local.day} {local:%b}, {local:%H:%M}"
    assert f"Alerts are paused {shown}" in client.get("/dashboard").get_data(as_text=True)
    page = client.get("/settings").get_data(as_text=True)
    assert f"Paused {shown}" in page
    client.post("/settings", data={**FORM, "threshold": "25", "paused": "keep"})
    assert fresh(User, user.id).paused_until == until
    client.post("/settings/resume")
    assert fresh(User, user.id).paused_at(utcnow()) is False


def test_a_timed_pause_holds_alerts_until_it_ends(app):
    now = utcnow()
    user = make_user(paused_until=now + timedelta(days=1))
    message = queue_text(user, "low", "low:timed-pause", "Battery low: your Charge 6 is at 18%.")
    message = fresh(OutgoingMessage, message.id)
    assert outbox.blocked_reason(message, user, now) == "alerts are paused"
    assert outbox.blocked_reason(message, user, now + timedelta(days=1)) is None


def test_the_reminder_time_is_saved_or_turned_off_and_a_bad_time_is_named(app, client_of):
    user = make_user()
    client = client_of(user)
    client.post("/settings", data={**FORM, "remind_at": "21:30"})
    assert fresh(User, user.id).remind_at == time(21, 30)
    client.post("/settings", data={**{k: v for k, v in FORM.items() if k != "remind"}})
    assert fresh(User, user.id).remind_at is None
    answer = client.post("/settings", data={**FORM, "remind_at": "9pm"})
    assert answer.status_code == 400
    assert "Give the reminder&#39;s time as hours and minutes, like 20:00." in answer.get_data(as_text=True)


def test_a_trackers_own_level_decides_its_low_text_and_a_muted_tracker_gets_none(app):
    now = utcnow()
    user = make_user(threshold_percent=20)
    own_level = make_device(user, "Pixel Watch 3", battery_status="Medium", battery_level=35, alert_level=40)
    muted = make_device(user, "Charge 6", battery_status="Low", battery_level=10, muted=True)
    decision = alerting.decide_for(user, [own_level, muted], now, alerts.decide)
    assert [alert.device_key for alert in decision.alerts] == [str(own_level.id)]
    assert decision.states[str(muted.id)].in_low  # muted: the episode still opens, so unmuting sends no stale text
