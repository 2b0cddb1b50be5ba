"""Benchmarks 2 and 3: coalescing (devices reads per sync, texts per low episode) and push → text latency.

Real parts throughout: the emulator (`python -m sandbox`) pushes to our production gunicorn, real
`python worker.py` processes (RQ, scheduler on) read the emulated Google Health API and post texts to the
emulated Vonage, on PostgreSQL (bench) and Redis db 15. Users are connected the way sign-in does it
(the emulator's consent screen and token endpoint, then `accounts.connect_account`), phones marked confirmed.

    .venv/bin/python -m bench.pipeline coalescing [--users 50] [--duplicates 1 5 10]
    .venv/bin/python -m bench.pipeline latency [--latency-ms 100] [--rate 1.5] [--seconds 30] [--workers 1 4]
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import requests
from rq import Queue
from rq.job import Job
from rq.registry import FinishedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from bench.common import (
    GOOGLE_CLIENT_ID,
    GOOGLE_CLIENT_SECRET,
    fresh_database,
    machine,
    percentile,
    processes,
    production_env,
    save,
    wait_until,
)

SCOPES = ["https://www.googleapis.com/auth/googlehealth.settings.readonly",
          "https://www.googleapis.com/auth/googlehealth.activity_and_fitness.readonly"]


class World:
    """The emulator's control API and our app's data, side by side."""

    def __init__(self, emulator_url: str, app):
        self.url = emulator_url
        self.app = app
        self.http = requests.Session()

    def control(self, method: str, path: str, **body):
        answer = self.http.request(method, f"{self.url}/_control{path}", json=body or None, timeout=30)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def connect_person(self, serial: int, level: int) -> dict:
        """A person with one tracker, connected to our app with both Google scopes and a confirmed phone."""
        from app.accounts import connect_account
        from app.extensions import db
        from app.models import utcnow
        from app.providers.base import Identity

        person = self.control("POST", "/people", devices=[{"product": "Charge 6", "battery_level": level}])
        redirect_uri = "http://127.0.0.1/login/google/authorized"
        consent = self.http.post(f"{self.url}/google/o/oauth2/v2/auth", params={
            "client_id": GOOGLE_CLIENT_ID, "redirect_uri": redirect_uri, "response_type": "code",
            "scope": " ".join(SCOPES), "state": "bench", "access_type": "offline",
        }, data={"decision": "approve", "person": person["id"], "scope": SCOPES}, allow_redirects=False, timeout=10)
        code = parse_qs(urlparse(consent.headers["Location"]).query)["code"][0]
        token = self.http.post(f"{self.url}/google/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "client_id": GOOGLE_CLIENT_ID, "client_secret": GOOGLE_CLIENT_SECRET,
        }, timeout=10).json()
        token["expires_at"] = time.time() + float(token["expires_in"])
        user = connect_account("google", Identity(person["health_user_id"], person.get("legacy_user_id")), token, None)
        user.phone = f"+44770090{serial:04d}"
        user.phone_verified_at = utcnow()
        db.session.commit()
        person["user_id"] = user.id
        person["phone"] = user.phone
        person["device_id"] = person["devices"][0]["id"]
        return person

    def devices_reads(self) -> int:
        return self.control("GET", "/requests?endpoint=paired_devices")["count"]

    def settled(self) -> bool:
        """No sync waiting, queued, running or marked dirty, and no text waiting to be sent."""
        from app.extensions import queues

        redis = queues.redis
        if redis.hlen("sync:dirty") or next(redis.scan_iter("sync:queued:*", count=1000), None):
            return False
        for name in ("default", "texts"):
            queue = Queue(name, connection=redis)
            if queue.count or ScheduledJobRegistry(queue=queue).count or StartedJobRegistry(queue=queue).count:
                return False
        return True


def low_texts(user_ids: list[int] | None = None) -> dict[int, int]:
    from app.extensions import db
    from app.models import OutgoingMessage

    query = select(OutgoingMessage.user_id, func.count()).where(OutgoingMessage.kind == "low").group_by(OutgoingMessage.user_id)
    db.session.expire_all()
    return dict(db.session.execute(query).all())


def coalescing(users: int = 50, duplicates: tuple[int, ...] = (1, 5, 10), workers: int = 2) -> dict:
    """Each round: every user's tracker syncs once and the platform pushes `M` identical notifications."""
    result: dict = {"machine": machine(), "users": users, "workers": workers, "cases": []}
    with processes() as started:
        # Each user goes through six low episodes in a few minutes: lift the daily cap of 5 alert texts,
        # which would otherwise (correctly) hold back the sixth.
        env, world = start_world(started, DAILY_TEXT_CAP="100")
        people = [world.connect_person(serial, 80) for serial in range(users)]
        for index in range(workers):
            started.worker(env, f"worker-{index}")
        episodes = 0
        previous_level = 80
        # Battery per round: charged, low (a new episode: a text), still low (none), charged (none), low again (a text).
        plan = (90, 10, 10, 90, 10)
        for m in duplicates:
            reads_before = world.devices_reads()
            texts_before = sum(low_texts().values())
            pushes_answered = 0
            for level in plan:
                for person in people:
                    world.control("PATCH", f"/people/{person['id']}/devices/{person['device_id']}", battery_level=level)
                for person in people:
                    answer = world.control("POST", f"/people/{person['id']}/sync", platform="google", duplicates=m)
                    pushes_answered += sum(1 for push in answer["pushes"] if str(push.get("status")) == "204")
                time.sleep(0.5)
                wait_until(world.settled, 120, 0.2, "the syncs and texts to finish")
            new_episodes = 0
            for level in plan:
                new_episodes += level < 20 <= previous_level
                previous_level = level
            episodes += new_episodes
            reads = world.devices_reads() - reads_before
            texts = sum(low_texts().values()) - texts_before
            syncs = users * len(plan)
            result["cases"].append({
                "duplicates": m, "syncs": syncs, "pushes_sent": syncs * m, "pushes_answered_204": pushes_answered,
                "devices_reads": reads, "reads_per_sync": round(reads / syncs, 3),
                "low_episodes": users * new_episodes, "low_texts": texts,
                "texts_per_episode": round(texts / (users * new_episodes), 3),
            })
        per_user = low_texts([person["user_id"] for person in people])
        result["texts_per_user_total"] = sorted(set(per_user.values()))
        result["expected_texts_per_user_total"] = episodes
        result["texts_per_episode_overall"] = round(sum(per_user.values()) / (users * episodes), 3)
    save("coalescing", result)
    return result


def start_world(started, **settings: str):
    from app import create_app

    # The emulator needs our URL and we need its: start ours on a port chosen first.
    from bench.common import free_port, wait_for_port

    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    emulator_url = started.emulator(app_url)
    env = production_env(emulator_url, **settings)
    fresh_database(env)
    process = started.spawn([__import__("bench.common").common.PYTHON, "-m", "gunicorn", "bench.behind_router:app", "--config",
                             "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"], {**env, "PORT": str(port)}, "web")
    wait_for_port(port, process, "gunicorn")
    app = create_app(environ=env)
    context = app.app_context()
    context.push()
    world = World(emulator_url, app)
    world.control("POST", "/reset")
    world.control("POST", "/settings", FITBIT_SUBSCRIBER_URL=app_url + "/webhooks/fitbit",
                  GOOGLE_SUBSCRIBER_URL=app_url + "/webhooks/google-health",
                  VONAGE_INBOUND_URL=app_url + "/webhooks/vonage/inbound", VONAGE_STATUS_URL=app_url + "/webhooks/vonage/status")
    return env, world


def _utc(moment: datetime | None) -> float | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def latency(latency_ms: int = 100, rate: float = 1.5, seconds: float = 30, worker_counts: tuple[int, ...] = (1, 4)) -> dict:
    """Open loop: `rate` users a second have a tracker go low and sync; we time push → text submitted to Vonage."""
    from app.extensions import db, queues
    from app.models import OutgoingMessage

    result: dict = {"machine": machine(), "latency_ms": latency_ms, "rate_per_s": rate, "seconds": seconds, "cases": []}
    count = int(rate * seconds)
    with processes() as started:
        env, world = start_world(started)
        result["sync_debounce_s"] = float(env.get("SYNC_DEBOUNCE_SECONDS", 2))
        serial = 0
        for workers in worker_counts:
            world.control("POST", "/faults", google={"latency_ms": 0}, vonage={"latency_ms": 0})
            people = []
            for _ in range(count):
                people.append(world.connect_person(serial, 80))
                serial += 1
            for person in people:
                world.control("PATCH", f"/people/{person['id']}/devices/{person['device_id']}", battery_level=10)
            world.control("POST", "/faults", google={"latency_ms": latency_ms}, vonage={"latency_ms": latency_ms})
            running = [started.worker(env, f"latency-worker-{workers}-{index}") for index in range(workers)]
            time.sleep(3)  # let the workers register and their scheduler start
            pushed_at: dict[str, float] = {}

            def push(person):
                pushed_at[person["health_user_id"]] = time.time()
                world.control("POST", f"/people/{person['id']}/sync", platform="google", duplicates=1)

            began = time.monotonic()
            with ThreadPoolExecutor(8) as pool:
                for index, person in enumerate(people):
                    delay = began + index / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    pool.submit(push, person)
            user_ids = {person["user_id"]: person["health_user_id"] for person in people}

            def all_submitted():
                db.session.expire_all()
                rows = db.session.scalars(select(OutgoingMessage).where(
                    OutgoingMessage.user_id.in_(user_ids), OutgoingMessage.kind == "low",
                    OutgoingMessage.submitted_at.is_not(None))).all()
                return rows if len(rows) == len(user_ids) else None

            rows = wait_until(all_submitted, 180, 0.25, "every text to be submitted")
            sync_jobs = {}
            registry = FinishedJobRegistry(queue=Queue("default", connection=queues.redis))
            for job in Job.fetch_many(registry.get_job_ids(), connection=queues.redis):
                if job is not None and job.func_name.endswith("sync_platform_user"):
                    sync_jobs[job.args[1]] = job
            text_jobs = {}
            registry = FinishedJobRegistry(queue=Queue("texts", connection=queues.redis))
            for job in Job.fetch_many(registry.get_job_ids(), connection=queues.redis):
                if job is not None and job.args:
                    text_jobs[job.args[0]] = job
            totals, parts = [], {"push_to_sync_queued": [], "sync_queue_wait": [], "sync_run": [],
                                 "text_queue_wait": [], "text_run_to_submitted": []}
            for row in rows:
                owner = user_ids[row.user_id]
                start = pushed_at[owner]
                submitted = row.submitted_at.timestamp()
                totals.append(submitted - start)
                sync_job, text_job = sync_jobs.get(owner), text_jobs.get(row.id)
                if sync_job is None or text_job is None:
                    continue
                parts["push_to_sync_queued"].append(_utc(sync_job.enqueued_at) - start)
                parts["sync_queue_wait"].append(_utc(sync_job.started_at) - _utc(sync_job.enqueued_at))
                parts["sync_run"].append(_utc(sync_job.ended_at) - _utc(sync_job.started_at))
                parts["text_queue_wait"].append(_utc(text_job.started_at) - _utc(text_job.enqueued_at))
                parts["text_run_to_submitted"].append(submitted - _utc(text_job.started_at))
            floor = 2 * latency_ms / 1000
            p50, p99 = percentile(totals, 0.5), percentile(totals, 0.99)
            debounce = result["sync_debounce_s"]
            result["cases"].append({
                "workers": workers, "texts": len(rows), "p50_s": round(p50, 3), "p99_s": round(p99, 3),
                "ratio_p50_to_2L": round(p50 / floor, 1), "ratio_p99_to_2L": round(p99 / floor, 1),
                "ratio_p50_minus_debounce_to_2L": round((p50 - debounce) / floor, 1),
                "ratio_p99_minus_debounce_to_2L": round((p99 - debounce) / floor, 1),
                "breakdown_p50_s": {name: round(percentile(values, 0.5), 3) for name, values in parts.items()},
                "breakdown_p99_s": {name: round(percentile(values, 0.99), 3) for name, values in parts.items()},
                "jobs_matched": len(parts["sync_run"]),
            })
            for process in running:
                started.stop(process)
    save("end_to_end", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["coalescing", "latency"])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duplicates", type=int, nargs="+", default=[1, 5, 10])
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--rate", type=float, default=1.5)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    options = parser.parse_args()
    if options.which == "coalescing":
        print(json.dumps(coalescing(options.users, tuple(options.duplicates)), indent=2))
    else:
        print(json.dumps(latency(options.latency_ms, options.rate, options.seconds, tuple(options.workers)), indent=2))
