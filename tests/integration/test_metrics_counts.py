"""Refused pushes are counted and timed too, per platform, with no label but the platform and the outcome."""

from __future__ import annotations


def test_a_refused_push_is_counted_as_refused_and_timed(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-token-for-tests")
    client.post("/webhooks/fitbit", data=b"[]", headers={"X-Fitbit-Signature": "forged"}).close()
    client.post("/webhooks/google-health", data=b"{}", headers={"Authorization": "wrong"}).close()
    text = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-for-tests"}).text
    assert 'battery_pushes_total{outcome="refused",platform="fitbit"} 1.0' in text
    assert 'battery_pushes_total{outcome="refused",platform="google"} 1.0' in text
    assert 'battery_webhook_seconds_count{platform="fitbit"} 1.0' in text
