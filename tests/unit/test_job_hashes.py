"""The sync job's hash made per push is exactly the one RQ itself would store for the same job."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from redis import Redis
from rq.job import JobStatus

from app.extensions import AppQueue
from app.tasks.job_hashes import JobHashes
from app.tasks.sync import PLATFORM_RETRY, SYNC_JOB_TIMEOUT, sync_platform_user

MADE_AT = datetime(2026, 11, 30, 16, 5, 7, 123456, tzinfo=UTC)


@pytest.mark.parametrize("args", [
    ("fitbit", "ABC123", MADE_AT),
    ("google", "1234567890", None),
    # A user id whose repr is over RQ's 75 characters: the description is cut as RQ cuts it.
    ("google", "x" * 64 + "y" * 20, MADE_AT),
], ids=["fitbit push", "no push time", "long id"])
def test_a_sync_jobs_hash_is_the_one_rq_stores(args):
    queue = AppQueue("default", connection=Redis())  # nothing is sent: both only build the hash
    rq_job = queue.create_job(sync_platform_user, args=args, status=JobStatus.SCHEDULED, retry=PLATFORM_RETRY,
                              timeout=SYNC_JOB_TIMEOUT, job_id="sync-abc")
    rq_job.created_at = MADE_AT

    ours = JobHashes(sync_platform_user, retry=PLATFORM_RETRY, timeout=SYNC_JOB_TIMEOUT)

    assert ours.fields(queue, args, MADE_AT) == rq_job.to_dict()
    assert ours.key("sync-abc") == rq_job.key


def test_jobs_of_one_queue_share_one_template_and_differ_in_their_own_fields():
    ours = JobHashes(sync_platform_user, timeout=SYNC_JOB_TIMEOUT)
    queue = AppQueue("default", connection=Redis())
    first_shared, first_own = ours.parts(queue, ("fitbit", "A", None), MADE_AT)
    second_shared, second_own = ours.parts(queue, ("fitbit", "B", None), MADE_AT)
    assert first_shared is second_shared
    assert first_own != second_own and first_own[::2] == ("created_at", "data", "description")


def test_each_queue_and_connection_gets_its_own_template():
    ours = JobHashes(sync_platform_user, timeout=SYNC_JOB_TIMEOUT)
    default, sweeps = AppQueue("default", connection=Redis()), AppQueue("sweeps", connection=Redis())
    assert ours.fields(default, ("fitbit", "A", None), MADE_AT)["origin"] == "default"
    assert ours.fields(sweeps, ("fitbit", "A", None), MADE_AT)["origin"] == "sweeps"
