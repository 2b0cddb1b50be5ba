"""The scheduled sweep keeps coming after the process running one dies without its `finally` (a SIGKILLed or
OOM-killed worker: jobs run in the worker's own process) or Redis refuses the write of its successor: a worker's maintenance pass schedules the
next one, and never a second one beside a sweep that is still running."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import func, select, text

from app.extensions import db, queues
from app.models import PendingPush, utcnow
from app.tasks.sweeps import run_sweeps
from app.tasks.worker import AppWorker
from local_servers import free_port
from tests.support.polling import wait_until

# What the issue asks of a lost sweep.
RESUMED_WITHIN_SECONDS = 60


def sweeps_queue():
    return queues.queue("sweeps")


def sweep_ids(job_ids) -> list[str]:
    return [job_id for job_id in job_ids if job_id.startswith("sweep-")]


def slot_of(sweep_id: str) -> int:
    return int(sweep_id.removeprefix("sweep-"))


def scheduled_sweeps() -> list[str]:
    return sweep_ids(sweeps_queue().scheduled_job_registry.get_job_ids(cleanup=False))


def running_sweeps() -> list[str]:
    return sweep_ids(sweeps_queue().started_job_registry.get_job_ids(cleanup=False))


@contextmanager
def pending_pushes_held() -> Iterator[None]:
    """The sweep's first step reads the pushes kept during a Redis outage: holding that table makes a sweep
    wait there, mid-work, for as long as the test likes."""
    with db.engine.connect() as holder:
        holder.execute(text("LOCK TABLE pending_pushes IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            holder.rollback()


def someone_waits_on_pending_pushes() -> bool:
    waiting = db.session.scalar(text(
        "SELECT count(*) FROM pg_locks WHERE relation = 'pending_pushes'::regclass AND NOT granted"
    ))
    db.session.rollback()
    return bool(waiting)


def kept_pushes() -> int:
    count = db.session.scalar(select(func.count()).select_from(PendingPush))
    db.session.rollback()
    return count


@pytest.fixture
def worker_connection(app) -> Iterator[Redis]:
    """The in-process workers' own connection: RQ raises the socket timeout of the connection it is given."""
    connection = Redis.from_url(app.config["REDIS_URL"])
    yield connection
    connection.close()


def maintenance_pass(connection: Redis) -> None:
    """One periodic maintenance pass of a real worker, as it runs every MAINTENANCE_SECONDS between jobs."""
    AppWorker([sweeps_queue()], connection=connection).run_maintenance_tasks()


def test_a_sweep_killed_with_the_process_running_it_is_followed_by_the_next_within_a_minute(app, start_worker):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("holding a sweep on a table lock needs PostgreSQL (CI runs this against PostgreSQL)")
    running_it = start_worker()
    with pending_pushes_held():
        wait_until(lambda: running_sweeps() and someone_waits_on_pending_pushes(), what="a sweep held mid-work")
        [killed] = running_sweeps()
        other = start_worker()
        running_it.kill_job_process()
    # The killed sweep never ran its `finally`: nothing schedules its successor but a worker's maintenance, once
    # the killed one's heartbeat has stopped.
    db.session.add(PendingPush(platform="google", platform_user_id="kept-during-an-outage"))
    db.session.commit()

    def a_later_sweep_finished() -> bool:
        finished = sweep_ids(sweeps_queue().finished_job_registry.get_job_ids(cleanup=False))
        return any(slot_of(job_id) > slot_of(killed) for job_id in finished)

    wait_until(lambda: kept_pushes() == 0 and a_later_sweep_finished(), seconds=RESUMED_WITHIN_SECONDS,
               what="a later sweep to run and drain the push kept meanwhile")
    assert other.process.poll() is None, "the other worker carried on: no restart was needed"


def test_a_sweep_whose_successor_redis_refused_is_followed_once_a_worker_runs_its_maintenance(
        app, make_app, worker_connection):
    # Redis refuses at the moment the sweep ends: its `finally` raises and no successor is written.
    with make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").app_context(), pytest.raises(RedisConnectionError):
        run_sweeps()
    assert scheduled_sweeps() == []

    maintenance_pass(worker_connection)

    [scheduled] = scheduled_sweeps()
    slot = slot_of(scheduled)
    assert utcnow().timestamp() < slot <= utcnow().timestamp() + int(app.config["SWEEP_EVERY_SECONDS"])


def test_a_maintenance_pass_adds_no_sweep_beside_one_already_coming(app, worker_connection):
    sweeps = sweeps_queue()
    maintenance_pass(worker_connection)
    [scheduled] = scheduled_sweeps()
    maintenance_pass(worker_connection)
    assert scheduled_sweeps() == [scheduled], "a scheduled sweep is left alone"

    sweeps.scheduled_job_registry.remove(scheduled)
    sweeps.enqueue(run_sweeps, job_id=scheduled)
    maintenance_pass(worker_connection)
    assert scheduled_sweeps() == [], "a queued sweep is left alone"


def test_a_long_sweep_gets_no_sibling_while_its_worker_is_alive_and_one_once_its_worker_is_gone(
        app, worker_connection):
    sweeps = sweeps_queue()
    job = sweeps.enqueue(run_sweeps, job_id="sweep-1000")
    sweeps.remove(job)
    running = AppWorker([sweeps], connection=worker_connection)
    running.prepare_execution(job)
    running.prepare_job_execution(job)
    assert running_sweeps() == ["sweep-1000"]

    maintenance_pass(worker_connection)
    assert scheduled_sweeps() == [], "a running sweep whose worker keeps its heartbeat gets no sibling"

    # The whole worker died with it (a dyno SIGKILLed): its heartbeat stops and RQ's started registry keeps the
    # entry for a while yet.
    job.heartbeat(utcnow() - timedelta(minutes=5), ttl=60)
    maintenance_pass(worker_connection)
    assert len(scheduled_sweeps()) == 1
