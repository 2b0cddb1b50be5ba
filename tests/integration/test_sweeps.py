"""The scheduled sweeps pick only the users they can act on, oldest first, each once."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import ConnectionState, Device, Platform, User, utcnow
from app.tasks import sweeps


def user_with(device_type: str, silent_for: timedelta, *, include_scales=False,
              state=ConnectionState.CONNECTED, name: str = "u") -> User:
    user = User(platform=Platform.GOOGLE, platform_user_id=name, include_scales=include_scales, connection_state=state)
    user.devices = [Device(platform_device_id=f"{name}-1", device_type=device_type,
                           last_sync_at=utcnow() - silent_for)]
    db.session.add(user)
    db.session.commit()
    return user


def test_the_silent_sweep_skips_devices_the_rules_would_never_text_about(app):
    day_and_more = timedelta(hours=25)
    tracker = user_with("TRACKER", day_and_more, name="tracker")
    user_with("SCALE", day_and_more, name="scale-not-included")
    included = user_with("SCALE", day_and_more, include_scales=True, name="scale-included")
    user_with("TRACKER", timedelta(days=45), name="forgotten")
    user_with("TRACKER", day_and_more, state=ConnectionState.NEEDS_RECONNECT, name="disconnected")
    user_with("TRACKER", timedelta(hours=2), name="recent")
    now = utcnow()
    owners = sweeps.silent_device_owners(now, now - timedelta(hours=24))
    assert sorted(owners) == sorted([tracker.id, included.id])


def test_backstop_syncs_take_the_longest_silent_users_first_and_each_once_a_day(app, monkeypatch):
    monkeypatch.setattr(sweeps, "BACKSTOP_BATCH", 1)
    users = []
    for hours, name in [(30, "older"), (50, "oldest"), (26, "old")]:
        user = User(platform=Platform.GOOGLE, platform_user_id=name, last_synced_at=utcnow() - timedelta(hours=hours))
        db.session.add(user)
        users.append(user)
    db.session.commit()
    order = []
    for _ in range(4):
        assert sweeps.backstop_syncs() == (1 if len(order) < 3 else 0)
        db.session.expire_all()
        order = [user.platform_user_id for user in sorted(users, key=lambda u: u.backstop_requested_at or utcnow())
                 if user.backstop_requested_at]
    assert order == ["oldest", "older", "old"]
