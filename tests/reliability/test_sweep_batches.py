"""The silent-device sweep fanned out to real workers: every due user is handled by exactly one batch, however
many workers share them, and a batch lost mid-way with its work horse is redone by a later sweep, texting no
one twice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from redis import Redis
from rq.job import Job
from sqlalchemy import func, select, text

from app.extensions import db, queues
from app.models import Device, OutgoingMessage, User, utcnow
from app.tasks import sweep_batches
from app.tasks.sweeps import hand_out_silent_devices
from app.tasks.worker import AppWorker
from tests.support.factories import make_device, make_user, sweep_batch_jobs
from tests.support.polling import wait_until

# Sweeps every 2 s in tests (tests/support/environment.py); a later sweep redoes a lost batch well inside this.
REDONE_WITHIN_SECONDS = 60


def silent_tracker_owners(count: int) -> list[User]:
    users = []
    for n in range(count):
        user = make_user(platform_user_id=f"quiet-{n}")
        make_device(user, last_sync_at=utcnow() - timedelta(hours=25))
        users.append(user)
    return users


def silent_texts_per_user(users: list[User]) -> dict[int, int]:
    counts = dict(db.session.execute(
        select(OutgoingMessage.user_id, func.count(OutgoingMessage.id))
        .where(OutgoingMessage.kind == "silent").group_by(OutgoingMessage.user_id)
    ).all())
    db.session.rollback()
    return {user.id: counts.get(user.id, 0) for user in users}


def silent_batches(registry_ids: list[str]) -> list[Job]:
    return [job for job in Job.fetch_many(
        [job_id for job_id in registry_ids if job_id.startswith(sweep_batches.SILENT)], connection=queues.redis) if job]


def finished_batches() -> list[Job]:
    return silent_batches(queues.queue("sweeps").finished_job_registry.get_job_ids(cleanup=False))


def test_with_two_workers_every_due_user_is_handled_by_exactly_one_batch_and_texted_once(app, start_worker):
    users = silent_tracker_owners(11)
    settings = {"SWEEP_BATCH_USERS": "3"}
    workers = [start_worker(**settings), start_worker(**settings)]

    wait_until(lambda: all(count == 1 for count in silent_texts_per_user(users).values()), seconds=60,
               what="every silent tracker's owner to get a text")

    batches = finished_batches()
    handled = [user_id for job in batches for user_id in job.args[0]]
    assert sorted(handled) == sorted(user.id for user in users), "each due user in exactly one batch"
    assert all(len(job.args[0]) <= 3 for job in batches)
    assert sum(job.return_value() for job in batches) == len(users)
    assert all(worker.process.poll() is None for worker in workers)
    assert silent_texts_per_user(users) == dict.fromkeys((user.id for user in users), 1)


@contextmanager
def tracker_row_held(device_id: int) -> Iterator[None]:
    """A batch writes each user's silence state after their text: holding one tracker's row makes a batch wait
    there, mid-way, with the users before it done."""
    with db.engine.connect() as holder:
        holder.execute(text("SELECT id FROM devices WHERE id = :id FOR UPDATE"), {"id": device_id})
        try:
            yield
        finally:
            holder.rollback()


def someone_waits_on_a_row() -> bool:
    waiting = db.session.scalar(text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ))
    db.session.rollback()
    return bool(waiting)


def test_a_batch_killed_mid_way_is_redone_by_a_later_sweep_and_texts_no_one_twice(app, start_worker):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("holding a batch on a row lock needs PostgreSQL (CI runs this against PostgreSQL)")
    first, second, third, fourth = users = silent_tracker_owners(4)
    held_tracker = db.session.scalar(select(Device.id).where(Device.user_id == second.id))
    with tracker_row_held(held_tracker):
        worker = start_worker(SWEEP_BATCH_USERS="4")
        wait_until(someone_waits_on_a_row, what="a batch held mid-way on the second user's tracker")
        [killed] = silent_batches(queues.queue("sweeps").started_job_registry.get_job_ids(cleanup=False))
        assert killed.args[0] == [user.id for user in users]
        assert silent_texts_per_user([first]) == {first.id: 1}, "the batch did the first user before it stopped"
        # Jobs run in the worker's own process: killing the batch kills that worker (as the OOM killer would),
        # and with it the batch's connection and its wait on the row. Another worker takes over the sweeps.
        other = start_worker(SWEEP_BATCH_USERS="4")
        worker.kill_job_process()

    wait_until(lambda: all(count == 1 for count in silent_texts_per_user(users).values()),
               seconds=REDONE_WITHIN_SECONDS, what="a later sweep to redo the users the killed batch had not finished")
    [redo] = wait_until(finished_batches, what="the redone batch to finish")
    assert redo.args[0] == [second.id, third.id, fourth.id], "the first user was done and is not due again"
    assert silent_texts_per_user(users) == dict.fromkeys((user.id for user in users), 1)
    assert other.process.poll() is None, "the other worker carried on"


@pytest.fixture
def worker_connection(app) -> Iterator[Redis]:
    connection = Redis.from_url(app.config["REDIS_URL"])
    yield connection
    connection.close()


def test_a_sweep_hands_out_nothing_beside_a_live_batch_and_again_once_that_batch_died_with_its_worker(
        app, worker_connection):
    silent_tracker_owners(2)
    assert hand_out_silent_devices() == 2
    assert hand_out_silent_devices() == 0, "a queued batch holds these users"

    [batch] = sweep_batch_jobs()
    sweeps = queues.queue("sweeps")
    # A worker takes a job in steps: to RQ's intermediate list, into the started registry, then its first beat.
    queues.redis.lmove(sweeps.key, sweeps.intermediate_queue_key)
    assert hand_out_silent_devices() == 0, "a batch a worker is taking holds them"
    running = AppWorker([sweeps], connection=worker_connection)
    running.prepare_execution(batch)
    queues.redis.lrem(sweeps.intermediate_queue_key, 1, batch.id)
    assert hand_out_silent_devices() == 0, "a batch started but not yet beating holds them"
    running.prepare_job_execution(batch)
    assert hand_out_silent_devices() == 0, "a running batch whose worker keeps its heartbeat holds them"

    # The whole worker died with it (a dyno SIGKILLed): its heartbeat stops; RQ's started registry keeps the entry.
    batch.heartbeat(utcnow() - timedelta(minutes=5), ttl=60)
    assert hand_out_silent_devices() == 2, "the users the lost batch never reached go out again"
