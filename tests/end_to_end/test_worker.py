"""Jobs go through the app's queue on real Redis and a real worker process runs them, one after another in its
own process: a stuck one is stopped by its timeout, none sees another's database session, a long one keeps its
heartbeat."""

from __future__ import annotations

import socket
from datetime import timedelta

from rq.job import Job, JobStatus
from sqlalchemy import select

from app.extensions import db, queues
from app.models import BatteryReading, Device, Platform, User, utcnow
from app.tasks import maintenance
from app.tasks.worker import MONITOR_SECONDS
from tests.support import worker_jobs
from tests.support.polling import wait_until


def test_a_real_worker_runs_a_queued_job_against_the_database(app, start_worker):
    user = User(platform=Platform.GOOGLE, platform_user_id="1234567890")
    device = Device(user=user, platform_device_id="dev-1", product_name="Charge 6")
    now = utcnow()
    device.readings = [
        BatteryReading(read_at=now - timedelta(days=200), battery_level=80),
        BatteryReading(read_at=now - timedelta(days=1), battery_level=60),
    ]
    db.session.add(user)
    db.session.commit()

    start_worker()
    job = queues.queue("sweeps").enqueue(maintenance.prune_battery_history)
    wait_until(lambda: job.get_status(refresh=True) in {JobStatus.FINISHED, JobStatus.FAILED}, what="the job")

    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == 1
    db.session.expire_all()
    assert db.session.scalars(select(BatteryReading.battery_level)).all() == [60]


def test_a_job_stuck_past_its_timeout_is_stopped_and_the_worker_goes_on_to_the_next(app, start_worker):
    # A service that takes the connection and never answers: the job would wait for ever.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        worker = start_worker()
        queue = queues.queue("default")
        stuck = queue.enqueue(worker_jobs.wait_for_an_answer, silent.getsockname()[1], job_timeout=2)
        after = queue.enqueue(worker_jobs.count_users)
        wait_until(lambda: after.get_status(refresh=True) == JobStatus.FINISHED, seconds=30, what="the next job")

    assert stuck.get_status(refresh=True) == JobStatus.FAILED
    assert "JobTimeoutException" in stuck.latest_result().exc_string
    assert worker.process.poll() is None, "the worker carried on"


def test_each_job_starts_with_a_fresh_database_session(app, start_worker):
    start_worker()
    queue = queues.queue("default")
    left_open = queue.enqueue(worker_jobs.add_a_user_and_leave_it_uncommitted, "never-committed")
    counted = queue.enqueue(worker_jobs.count_users)
    wait_until(lambda: counted.get_status(refresh=True) == JobStatus.FINISHED, what="the second job")

    assert left_open.get_status() == JobStatus.FINISHED
    assert counted.return_value() == 0, "the first job's uncommitted row was rolled back, not seen by the next job"


def test_a_long_job_keeps_its_heartbeat_so_it_is_not_taken_for_one_whose_worker_died(app, start_worker):
    with socket.create_server(("127.0.0.1", 0)) as silent:
        start_worker()
        job = queues.queue("default").enqueue(worker_jobs.wait_for_an_answer, silent.getsockname()[1], job_timeout=60)
        def started_at_heartbeat():
            running = Job.fetch(job.id, connection=queues.redis)
            return running.get_status() == JobStatus.STARTED and running.last_heartbeat

        first = wait_until(started_at_heartbeat, what="the job to start")
        # RQ's own heartbeat at the start is the last one a job gets unless the worker renews it while it runs.
        wait_until(lambda: Job.fetch(job.id, connection=queues.redis).last_heartbeat > first,
                   seconds=3 * MONITOR_SECONDS, what="the heartbeat to be renewed while the job runs")
