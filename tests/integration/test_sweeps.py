"""The scheduled sweeps pick only the users they can act on, oldest first, each once, and hand them out in batches."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db, queues
from app.models import ConnectionState, Device, OutgoingMessage, Platform, User, utcnow
from app.tasks import coalescing, sweeps
from tests.support.factories import make_device, make_user, run_sweep_batches, sweep_batch_jobs


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


def silent_tracker_owner(name: str) -> User:
    user = make_user(platform_user_id=name)
    make_device(user, last_sync_at=utcnow() - timedelta(hours=25))
    return user


def silent_texts(user: User) -> int:
    return db.session.scalar(select(func.count(OutgoingMessage.id)).where(
        OutgoingMessage.user_id == user.id, OutgoingMessage.kind == "silent"))


def test_the_silent_sweep_hands_each_due_user_to_exactly_one_batch_and_each_batch_texts_its_users(app, monkeypatch):
    monkeypatch.setitem(app.config, "SWEEP_BATCH_USERS", 2)
    users = [silent_tracker_owner(f"silent-{n}") for n in range(5)]
    user_with("TRACKER", timedelta(hours=2), name="recent")

    assert sweeps.hand_out_silent_devices() == 5

    ids = [user.id for user in users]
    assert [job.args[0] for job in sweep_batch_jobs()] == [ids[0:2], ids[2:4], ids[4:5]]
    assert run_sweep_batches() == [2, 2, 1]
    assert [silent_texts(user) for user in users] == [1] * 5
    assert sweeps.hand_out_silent_devices() == 0, "a user texted about a silence is not due again"


def test_a_silent_batch_run_again_sends_nothing_twice(app):
    users = [silent_tracker_owner(f"silent-{n}") for n in range(3)]
    sweeps.hand_out_silent_devices()
    [batch] = sweep_batch_jobs()

    assert run_sweep_batches() == [3]
    assert batch.perform() == 0
    assert [silent_texts(user) for user in users] == [1, 1, 1]


def test_the_backstop_takes_the_longest_silent_users_first_and_each_once_a_day(app, monkeypatch):
    monkeypatch.setattr(sweeps, "BACKSTOP_PER_SWEEP", 1)
    users = []
    for hours, name in [(30, "older"), (50, "oldest"), (26, "old")]:
        user = User(platform=Platform.GOOGLE, platform_user_id=name, last_synced_at=utcnow() - timedelta(hours=hours))
        db.session.add(user)
        users.append(user)
    db.session.commit()
    order = []
    for _ in range(4):
        due = 1 if len(order) < 3 else 0
        assert sweeps.hand_out_backstop() == due
        assert run_sweep_batches() == [1] * due
        db.session.expire_all()
        order = [user.platform_user_id for user in sorted(users, key=lambda u: u.backstop_requested_at or utcnow())
                 if user.backstop_requested_at]
    assert order == ["oldest", "older", "old"]


def test_the_backstop_hands_out_every_due_user_up_to_its_cap_in_batches_and_a_batch_run_again_asks_nobody_twice(
        app, monkeypatch):
    monkeypatch.setitem(app.config, "SWEEP_BATCH_USERS", 2)
    monkeypatch.setattr(sweeps, "BACKSTOP_PER_SWEEP", 4)
    for n in range(5):
        db.session.add(User(platform=Platform.GOOGLE, platform_user_id=f"stale-{n}",
                            last_synced_at=utcnow() - timedelta(hours=30 + n)))
    db.session.commit()
    default = queues.queue("default")

    assert sweeps.hand_out_backstop() == 4
    [first, second] = sweep_batch_jobs()
    assert run_sweep_batches() == [2, 2]
    assert default.scheduled_job_registry.count == 4, "one sync each, spread over the next ten minutes"
    assert first.perform() == 0 and second.perform() == 0
    assert default.scheduled_job_registry.count == 4
    assert sweeps.hand_out_backstop() == 1, "the one left over goes out with the next sweep"


def test_the_sweep_recovers_every_lost_sync_when_the_marks_fill_more_than_one_scan_page(app):
    names = [coalescing.member("google", f"health-{n}") for n in range(coalescing.DIRTY_SCAN_PAGE * 5 // 2)]
    queues.redis.hset(coalescing.DIRTY, mapping=dict.fromkeys(names, 1))
    cursor, first_page = queues.redis.hscan(coalescing.DIRTY, 0, count=coalescing.DIRTY_SCAN_PAGE)
    assert cursor != 0 and len(first_page) < len(names), "Redis answers the marks in more than one page"

    assert sorted(coalescing.dirty_members()) == sorted(names)
    assert sweeps.recover_interrupted_syncs() == len(names)
    assert queues.queue("default").scheduled_job_registry.count == len(names), "one sync for each user, none twice"
