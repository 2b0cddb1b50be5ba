"""Jobs go through the app's queue on real Redis and a real worker process runs them."""

from __future__ import annotations

from datetime import timedelta

from rq.job import JobStatus
from sqlalchemy import select

from app.extensions import db, queues
from app.models import BatteryReading, Device, Platform, User, utcnow
from app.tasks import maintenance
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
