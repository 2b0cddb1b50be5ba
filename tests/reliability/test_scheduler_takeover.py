"""A worker dyno SIGKILLed while its scheduler held RQ's scheduler lock: the lock would hold every scheduled job
(debounced syncs, sweeps, retries, held texts) for its 61 s; the next worker takes it over once it has gone
SCHEDULER_GONE_AFTER_SECONDS without renewal."""

from __future__ import annotations

import time
from datetime import timedelta

from rq.job import JobStatus
from rq.scheduler import RQScheduler

from app.extensions import queues
from tests.support import worker_jobs
from tests.support.polling import wait_until

# RQ's lock lives `interval + 60` s after its last renewal: a scheduled job moved sooner was moved by a takeover.
LOCK_LIFE_SECONDS = 61


def test_scheduled_work_resumes_long_before_a_killed_dynos_scheduler_lock_would_expire(app, start_worker):
    lock = RQScheduler.get_locking_key("default")
    first = start_worker()
    wait_until(lambda: queues.redis.get(lock), what="the first worker's scheduler to hold the lock")
    first.kill()
    killed_at = time.monotonic()
    start_worker()
    job = queues.queue("default").enqueue_in(timedelta(seconds=1), worker_jobs.count_users)

    wait_until(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, seconds=LOCK_LIFE_SECONDS,
               what="the scheduled job to be moved to its queue and run")
    assert time.monotonic() - killed_at < LOCK_LIFE_SECONDS - 15, "taken over well before the dead lock expired"
