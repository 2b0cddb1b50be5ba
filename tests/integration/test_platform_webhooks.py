"""The platform webhooks in process: forged, unsigned, malformed and oversized pushes are refused and queue nothing."""

from __future__ import annotations

import pytest
from rq import Queue

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
