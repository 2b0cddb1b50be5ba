"""Every job leaves Redis on its own: a result kept minutes, a failure a week (RQ's own default is a year,
more than a small Redis plan holds). The scan of a whole pipeline run is in test_deploy_rehearsal.py."""

from __future__ import annotations

import json

from rq import SimpleWorker
from rq.job import Job

from app.extensions import FAILURE_TTL_SECONDS, RESULT_TTL_SECONDS, queues


def test_a_job_enqueued_without_lifetimes_gets_ours(app):
    job = queues.queue("default").enqueue(len, "abc")
    assert (job.result_ttl, job.failure_ttl) == (RESULT_TTL_SECONDS, FAILURE_TTL_SECONDS)


def test_a_lifetime_the_caller_chose_is_kept(app):
    job = queues.queue("sweeps").enqueue(len, "abc", result_ttl=300, failure_ttl=60)
    assert (job.result_ttl, job.failure_ttl) == (300, 60)


def test_a_finished_job_and_a_failed_job_both_expire(app):
    done = queues.queue("default").enqueue(len, "abc")
    failed = queues.queue("default").enqueue(json.loads, "not json")
    SimpleWorker([queues.queue("default")], connection=queues.redis).work(burst=True)
    assert Job.fetch(done.id, connection=queues.redis).get_status() == "finished"
    assert Job.fetch(failed.id, connection=queues.redis).get_status() == "failed"
    assert 0 < queues.redis.ttl(done.key) <= RESULT_TTL_SECONDS
    assert RESULT_TTL_SECONDS < queues.redis.ttl(failed.key) <= FAILURE_TTL_SECONDS
