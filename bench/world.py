"""The world the pipeline benchmarks run in: the emulator and our production gunicorn, each told the other's
address, on a fresh bench database; people connected the way sign-in does it. Used by the coalescing
(bench/pipeline.py) and latency (bench/latency.py) benchmarks.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import requests
from rq import Queue
from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from bench.common import GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, PYTHON, fresh_database, production_env
from local_servers import free_port, wait_for_port

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
        from app.adapters.providers.base import Identity
        from app.domain.accounts import connect_account
        from app.extensions import db
        from app.models import utcnow

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


def start_world(started, **settings: str):
    """Our gunicorn and the emulator, each pointed at the other, on a fresh bench database; returns the environment
    and the World, with our app's context pushed for reading its data."""
    from app import create_app

    # The emulator needs our URL and we need its: start ours on a port chosen first.
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    emulator_url = started.emulator(app_url)
    env = production_env(emulator_url, **settings)
    fresh_database(env)
    process = started.spawn([PYTHON, "-m", "gunicorn", "bench.behind_router:app", "--config",
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
