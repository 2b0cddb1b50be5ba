"""The platform webhooks in process: forged, unsigned, malformed and oversized pushes are refused and queue nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from redis.connection import Connection
from rq import Queue
from rq.job import Job, JobStatus

from app.extensions import queues


def test_forged_and_missing_signatures_are_refused_and_queue_nothing(client, app):
    body = b'[{"collectionType":"activities","date":"2026-11-23","ownerId":"ABC123","ownerType":"user","subscriptionId":"1"}]'
    forged = client.post("/webhooks/fitbit", data=body, headers={"X-Fitbit-Signature": "kiPG5GbxQHBn5fcFefpVqOLsobk="},
                         content_type="application/json")
    unsigned = client.post("/webhooks/fitbit", data=body, content_type="application/json")
    stale_secret = client.post("/webhooks/google-health", json={"data": {"healthUserId": "1", "operation": "UPSERT"}},
                               headers={"Authorization": "an-old-secret"})
    no_secret = client.post("/webhooks/google-health", json={"data": {"healthUserId": "1", "operation": "UPSERT"}})
    assert [forged.status_code, unsigned.status_code, stale_secret.status_code, no_secret.status_code] == [404, 404, 401, 401]
    scheduled = Queue("default", connection=queues.redis).scheduled_job_registry
    assert len(Queue("default", connection=queues.redis)) == 0 and scheduled.count == 0
    assert queues.redis.hlen("sync:dirty") == 0


@pytest.mark.parametrize(
    "path, body, headers, expected",
    [
        ("/webhooks/google-health", b"{not json", {"Authorization": "sandbox-google-webhook-secret"}, 400),
        ("/webhooks/google-health", b'{"data": "x"}', {"Authorization": "sandbox-google-webhook-secret"}, 400),
        ("/webhooks/google-health", b"[" + b'{"data":{"healthUserId":"1"}},' * 20000 + b"{}]",
         {"Authorization": "sandbox-google-webhook-secret"}, 413),
    ],
    ids=["not json", "data not an object", "too large"],
)
def test_malformed_or_oversized_pushes_get_a_clear_answer(client, app, path, body, headers, expected):
    response = client.post(path, data=body, headers=headers, content_type="application/json")
    assert response.status_code == expected
    assert queues.redis.hlen("sync:dirty") == 0


def google_push(client, owner: str):
    return client.post("/webhooks/google-health", json={"data": {"healthUserId": owner, "operation": "UPSERT"}},
                       headers={"Authorization": "sandbox-google-webhook-secret"})


@pytest.fixture
def redis_round_trips(monkeypatch):
    """Every request this test's thread sent to Redis, one entry per round trip (a pipeline is one)."""
    sent: list[bytes] = []
    send = Connection.send_packed_command
    test_thread = threading.current_thread()

    def counted(self, command, check_health=True):
        if threading.current_thread() is test_thread:
            sent.append(b"".join(command) if isinstance(command, list | tuple) else command)
        return send(self, command, check_health)

    monkeypatch.setattr(Connection, "send_packed_command", counted)
    return sent


def test_a_push_queues_its_sync_in_one_redis_round_trip_whether_it_starts_a_burst_or_joins_one(
        client, app, redis_round_trips):
    google_push(client, "warm-up")  # the first push after a Redis restart also loads the script
    redis_round_trips.clear()
    first_push_from = datetime.now(UTC)
    answers = [google_push(client, "health-1").status_code for _ in range(3)]
    last_push_until = datetime.now(UTC)

    assert answers == [204, 204, 204]
    assert len(redis_round_trips) == 3, "one round trip per push: the first of the burst and the two that join it"
    assert all(b"sync:" in sent and b"metrics:" not in sent for sent in redis_round_trips), \
        "the pushes' counts go later, with the process's others"
    # The first push scheduled one sync, as RQ's scheduler reads it; the others only marked the user dirty.
    queue = Queue("default", connection=queues.redis)
    job_id = queues.redis.get("sync:queued:google:health-1").decode()
    scheduled = queue.scheduled_job_registry.get_job_ids()
    assert job_id in scheduled and len(scheduled) == 2, "one sync for the burst (and the warm-up's)"
    job = Job.fetch(job_id, connection=queues.redis)
    assert (job.func_name, job.args[:2], job.get_status()) == (
        "app.tasks.sync.sync_platform_user", ("google", "health-1"), JobStatus.SCHEDULED)
    assert queues.redis.hget("sync:dirty", "google:health-1") == b"3"
    # The sync runs SYNC_DEBOUNCE_SECONDS after the first push, as RQ keeps it (whole seconds). Bracketed by the
    # clock read before and after the pushes, not compared with a later clock, so a slow machine cannot fail it.
    run_at = queue.scheduled_job_registry.get_scheduled_time(job)
    wait = timedelta(seconds=app.config.get("SYNC_DEBOUNCE_SECONDS", 2))
    assert (first_push_from + wait).replace(microsecond=0) <= run_at <= last_push_until + wait
