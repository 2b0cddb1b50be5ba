"""One rule, one answer: alerts, the welcome's list, the dashboard and the silent-device sweep agree on which
devices we watch and which are low, because each asks `app.rules.devices`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain import alerting
from app.extensions import db
from app.models import utcnow
from app.rules import alerts
from app.rules.devices import FORGOTTEN_AFTER
from app.tasks import sweeps
from app.web.dashboard.presenting import dashboard_parts
from tests.support.factories import make_device, make_user

SILENT = timedelta(hours=25)

WATCHED = [
    # device type, silent for, scales included, watched?
    pytest.param("TRACKER", SILENT, False, True, id="a tracker"),
    pytest.param("WATCH", SILENT, False, True, id="a watch"),
    pytest.param("SCALE", SILENT, False, False, id="a scale not included"),
    pytest.param("scale", SILENT, False, False, id="a scale typed in lower case, not included"),
    pytest.param(" Scale ", SILENT, False, False, id="a scale with spaces, not included"),
    pytest.param("scale", SILENT, True, True, id="a lower-case scale the user included"),
    pytest.param("TRACKER", FORGOTTEN_AFTER - timedelta(minutes=1), False, True, id="a tracker just inside a month"),
    pytest.param("TRACKER", FORGOTTEN_AFTER + timedelta(minutes=1), False, False, id="a tracker forgotten"),
]


@pytest.mark.parametrize(("device_type", "silent_for", "include_scales", "watched"), WATCHED)
def test_alerts_welcome_dashboard_and_sweep_agree_on_which_devices_are_watched(
    app, device_type, silent_for, include_scales, watched
):
    user = make_user(include_scales=include_scales)
    device = make_device(user, "Aria", device_type=device_type, battery_level=10, last_sync_at=utcnow() - silent_for)
    now = utcnow()

    decision = alerts.decide([alerting.reading_of(device)], {}, alerting.alert_settings(user), now, 0)
    by_alerts = str(device.id) in decision.states
    by_welcome = [reading.device_key for reading in alerting.watched_readings(user, now)] == [str(device.id)]
    (card,) = dashboard_parts(user, 7)["cards"]
    by_dashboard = card["unwatched"] is None
    by_sweep = user.id in sweeps.silent_device_owners(now, now - timedelta(hours=24))

    assert (by_alerts, by_welcome, by_dashboard, by_sweep) == (watched,) * 4


LOW = [
    # battery status, level, alert level, low?
    pytest.param("High", 100, 20, False, id="full"),
    pytest.param("Medium", 21, 20, False, id="one above the alert level"),
    pytest.param("Medium", 20, 20, True, id="at the alert level"),
    pytest.param("Low", None, 20, True, id="Low without a level"),
    pytest.param("High", None, 20, False, id="High without a level"),
    pytest.param("Empty", None, 20, True, id="Empty without a level"),
    pytest.param(None, 0, 20, True, id="zero"),
    pytest.param("empty", 35, 20, True, id="the word Empty beats a stale level"),
]


@pytest.mark.parametrize(("status", "level", "threshold", "low"), LOW)
def test_alerts_and_the_dashboard_agree_on_which_devices_are_low(app, status, level, threshold, low):
    user = make_user(threshold_percent=threshold)
    device = make_device(user, "Charge 6", battery_status=status, battery_level=level)
    decision = alerts.decide([alerting.reading_of(device)], {}, alerting.alert_settings(user), utcnow(), 0)
    (card,) = dashboard_parts(user, 7)["cards"]
    assert (bool(decision.alerts), card["low"]) == (low, low)
    db.session.rollback()
