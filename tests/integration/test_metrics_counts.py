"""Refused pushes are counted and timed too, per platform, with no label but the platform and the outcome."""

from __future__ import annotations

import json

from app.adapters import metrics
from app.extensions import queues
from tests.support.polling import wait_until


def test_a_refused_push_is_counted_as_refused_and_timed(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-token-for-tests")
    metrics.pending.send()  # what earlier tests in this process left pending
    queues.redis.delete(metrics.COUNTS_KEY, metrics.HISTOGRAMS_KEY)
    client.post("/webhooks/fitbit", data=b"[]", headers={"X-Fitbit-Signature": "forged"}).close()
    client.post("/webhooks/google-health", data=b"{}", headers={"Authorization": "wrong"}).close()
    text = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-for-tests"}).text
    assert 'battery_pushes_total{outcome="refused",platform="fitbit"} 1.0' in text
    assert 'battery_pushes_total{outcome="refused",platform="google"} 1.0' in text
    assert 'battery_webhook_seconds_count{platform="fitbit"} 1.0' in text


def test_accepted_pushes_reach_the_stored_counts_within_a_second_without_a_scrape(client, app):
    metrics.pending.send()  # what earlier tests in this process left pending
    queues.redis.delete(metrics.COUNTS_KEY, metrics.HISTOGRAMS_KEY)
    for _ in range(3):
        client.post("/webhooks/google-health", json={"data": {"healthUserId": "health-1", "operation": "UPSERT"}},
                    headers={"Authorization": "sandbox-google-webhook-secret"}).close()
    field = json.dumps(["battery_pushes", ["google", "accepted"]])
    wait_until(lambda: queues.redis.hget(metrics.COUNTS_KEY, field) == b"3", seconds=5,
               what="the three accepted pushes in Redis's counts")
    timed = json.dumps(["battery_webhook_seconds", ["google"]]).encode()
    buckets = {key: int(value) for key, value in queues.redis.hgetall(metrics.HISTOGRAMS_KEY).items()
               if key.startswith(timed + b":") and not key.endswith(b":sum")}
    assert sum(buckets.values()) == 3, "and each timed"
