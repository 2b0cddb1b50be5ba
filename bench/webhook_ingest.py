"""Benchmark 1: webhook ingest under the production configuration, against a bare 204 Flask app, in one run.

Both apps run under `gunicorn … --config gunicorn.conf.py` (WEB_CONCURRENCY=2 workers × 8 threads by
default) with APP_ENV=production, PostgreSQL (bench) and Redis (db 15). The generator sends signed Fitbit
pushes (one notification each, X-Fitbit-Signature)
and, as the platform's router does, X-Forwarded-Proto: https (production forces https otherwise) and Google Health pushes (Authorization secret) for a pool
of owners, so each owner's first push queues a sync and the rest coalesce, as bursts do in production.
Rounds alternate bare / ours so that drift on the shared machine hits both alike.

    .venv/bin/python -m bench.webhook_ingest [--seconds 10] [--connections 32] [--owners 3000]
"""

from __future__ import annotations

import argparse
import json
import time
import uuid

import redis

from app.webhooks.platforms import fitbit_signature
from bench.common import (
    BENCH_REDIS_URL,
    FITBIT_CLIENT_SECRET,
    GOOGLE_WEBHOOK_SECRET,
    fresh_database,
    machine,
    processes,
    production_env,
    save,
)
from bench.loadgen import Request, run_load_in_subprocess


def fitbit_pushes(owners: int, run: str) -> list[Request]:
    pushes = []
    for index in range(owners):
        body = json.dumps([{"collectionType": "activities", "date": "2026-11-20", "ownerId": f"F{run}{index:05d}",
                            "ownerType": "user", "subscriptionId": f"{index}-activities"}]).encode()
        pushes.append(Request("POST", "/webhooks/fitbit", (
            ("Content-Type", "application/json"), ("X-Forwarded-Proto", "https"), ("X-Fitbit-Signature", fitbit_signature(body, FITBIT_CLIENT_SECRET)),
        ), body))
    return pushes


def google_pushes(owners: int, run: str) -> list[Request]:
    pushes = []
    for index in range(owners):
        body = json.dumps({"data": {"version": "1", "clientProvidedSubscriptionName": "bench",
                                    "healthUserId": f"G{run}{index:05d}", "operation": "UPSERT", "dataType": "steps",
                                    "intervals": [{"startTime": "2026-11-20T10:00:00Z", "endTime": "2026-11-20T10:15:00Z"}]}}).encode()
        pushes.append(Request("POST", "/webhooks/google-health", (
            ("Content-Type", "application/json"), ("X-Forwarded-Proto", "https"), ("Authorization", GOOGLE_WEBHOOK_SECRET),
        ), body))
    return pushes


def measure(url: str, requests: list[Request], seconds: float, connections: int) -> dict:
    saturation = run_load_in_subprocess(url, requests, connections=connections, seconds=seconds, warmup=2)
    half_rate = max(1.0, saturation["rps"] / 2)
    half = run_load_in_subprocess(url, requests, rate=half_rate, connections=connections, seconds=seconds, warmup=1)
    return {"saturation": saturation, "half_load": half}


def main(seconds: float = 10, connections: int = 32, owners: int = 3000) -> dict:
    env = production_env()
    fresh_database(env)
    store = redis.Redis.from_url(BENCH_REDIS_URL)
    result: dict = {"machine": machine(), "seconds": seconds, "connections": connections, "owners": owners,
                    "gunicorn": {"workers": env.get("WEB_CONCURRENCY", "2"), "threads": env.get("GUNICORN_THREADS", "8"),
                                 "worker_class": "gthread"}, "cases": {}}
    with processes() as started:
        _, bare_url = started.gunicorn("bench.bare_app:app", env)
        _, ours_url = started.gunicorn("wsgi:app", env)
        time.sleep(3)  # masters listen before their workers have imported the apps
        for platform, build in (("fitbit", fitbit_pushes), ("google", google_pushes)):
            requests = build(owners, uuid.uuid4().hex[:6])
            bare = measure(bare_url, requests, seconds, connections)
            store.flushdb()
            ours = measure(ours_url, requests, seconds, connections)
            queued = sum(1 for _ in store.scan_iter("sync:queued:*", count=1000))
            store.flushdb()
            case = result["cases"][platform] = {"bare": bare, "ours": ours}
            case.update({
                "syncs_queued": queued,
                "ratio_rps_ours_over_bare": round(ours["saturation"]["rps"] / bare["saturation"]["rps"], 3),
                "ratio_p50_ours_over_bare_half": round(ours["half_load"]["p50_ms"] / bare["half_load"]["p50_ms"], 2),
                "ratio_p99_ours_over_bare_half": round(ours["half_load"]["p99_ms"] / bare["half_load"]["p99_ms"], 2),
            })
            store.flushdb()
            time.sleep(1)
    save("webhook_ingest", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--owners", type=int, default=3000)
    options = parser.parse_args()
    print(json.dumps(main(options.seconds, options.connections, options.owners), indent=2))
