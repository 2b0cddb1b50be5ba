"""Shared fixtures: the app on the test database and real Redis, a clean slate per test, a real worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from cryptography.fernet import Fernet
from flask_migrate import upgrade
from rq import Worker
from sqlalchemy import MetaData, text

from app import create_app
from app.extensions import db, limiter, queues
from sandbox.server import LiveEmulator, LiveServer

ROOT = Path(__file__).resolve().parent.parent


def required_setting(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run the suite with `python3 dev.py test`, which provides it", returncode=4)
    return value


@pytest.fixture(scope="session")
def live_emulator():
    """The platform emulator (Fitbit, Google Health, Vonage, the phone) over real HTTP."""
    with LiveEmulator({}) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def test_env(live_emulator) -> dict[str, str]:
    """The environment the app, and every worker process a test starts, runs with."""
    return {
        **os.environ,
        "SANDBOX_URL": live_emulator.url,
        # Short enough that a test sees a killed worker's sync recovered, long enough for a real sync.
        "SYNC_LOCK_SECONDS": "5",
        "SWEEP_EVERY_SECONDS": "2",
        "SYNC_DEBOUNCE_SECONDS": "1",
        "APP_ENV": "test",
        "DATABASE_URL": required_setting("TEST_DATABASE_URL"),
        "REDIS_URL": required_setting("REDIS_URL"),
        "SECRET_KEY": "test-only-secret-key",
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "SANDBOX": "1",
    }


def drop_everything(engine) -> None:
    """Empty the test database whatever an earlier run left in it."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        return
    existing = MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)


@pytest.fixture(scope="session")
def _app(test_env):
    app = create_app({"TESTING": True}, environ=test_env)
    with app.app_context():
        drop_everything(db.engine)
        upgrade(directory=str(ROOT / "migrations"))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(_app):
    """The app with an empty database and an empty Redis database, inside an app context."""
    with _app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        queues.redis.flushdb()
        yield _app
        db.session.remove()


@pytest.fixture
def make_app(test_env):
    """Another app on changed settings (an unreachable Redis, another database); its pool is closed after."""
    made = []
    # Flask-Limiter keeps its storage on the one global object: binding another app (say, to a dead
    # Redis) would leave every later test's rate limits pointing there. Put it back afterwards.
    limiter_state = dict(limiter.__dict__)

    def make(overrides: dict | None = None, **environ: str):
        app = create_app({"TESTING": True, **(overrides or {})}, environ={**test_env, **environ})
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()
    limiter.__dict__.clear()
    limiter.__dict__.update(limiter_state)


@pytest.fixture(scope="session")
def live_app(_app, live_emulator):
    """Our app over real HTTP, with the emulator pushing to its webhooks."""
    with LiveServer(_app) as server:
        settings = requests.post(live_emulator.url + "/_control/settings", json=webhooks_of(server.url), timeout=5)
        settings.raise_for_status()
        yield server


def webhooks_of(app_url: str) -> dict[str, str]:
    """The emulator's settings that send its pushes and phone replies to the app at `app_url`."""
    return {
        "FITBIT_SUBSCRIBER_URL": app_url + "/webhooks/fitbit",
        "GOOGLE_SUBSCRIBER_URL": app_url + "/webhooks/google-health",
        "VONAGE_INBOUND_URL": app_url + "/webhooks/vonage/inbound",
        "VONAGE_STATUS_URL": app_url + "/webhooks/vonage/status",
    }


class Emulator:
    """The emulator's control API, in the product's words."""

    def __init__(self, url: str):
        self.url = url

    def control(self, method: str, path: str, **json_body):
        response = requests.request(method, f"{self.url}/_control{path}", json=json_body or None, timeout=30)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    def person(self, **fields) -> dict:
        return self.control("POST", "/people", **fields)

    def set_device(self, person_id: str, device_id: str, **fields) -> dict:
        return self.control("PATCH", f"/people/{person_id}/devices/{device_id}", **fields)

    def sync(self, person_id: str, **options) -> dict:
        return self.control("POST", f"/people/{person_id}/sync", **options)

    def requests_made(self, **filters) -> list[dict]:
        query = "&".join(f"{key}={value}" for key, value in filters.items())
        return self.control("GET", f"/requests?{query}")["requests"]

    def texts_to(self, phone: str) -> list[dict]:
        return self.control("GET", f"/phone/messages?to={phone}")["messages"]


@pytest.fixture
def emulator(app, live_emulator, live_app) -> Emulator:
    """A fresh emulated world for each test."""
    world = Emulator(live_emulator.url)
    world.control("POST", "/reset")
    return world


@pytest.fixture
def client(app):
    return app.test_client()


def wait_until(condition, seconds: float = 20, interval: float = 0.05, what: str = "condition"):
    """Poll a condition with a deadline: how tests wait for another process, never a bare sleep."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


class WorkerProcess:
    """`python worker.py`, exactly as the Procfile starts it, as a child of the test."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.process: subprocess.Popen | None = None
        # A file, not a pipe: nobody reads a pipe while the test runs, and a worker logging failures (a
        # database outage, say) would fill it and block on its next log line.
        self.log = tempfile.TemporaryFile()

    def output(self) -> str:
        """Everything the worker has logged so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def start(self) -> WorkerProcess:
        before = {worker.name for worker in Worker.all(connection=queues.redis)}
        self.process = subprocess.Popen(
            [sys.executable, "worker.py"], cwd=ROOT, env=self.env, start_new_session=True,
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        wait_until(
            lambda: {w.name for w in Worker.all(connection=queues.redis)} - before or self.process.poll() is not None,
            what="the worker to register",
        )
        assert self.process.poll() is None, self.output()
        return self

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.fixture
def start_worker(app, test_env):
    """Start real worker processes on demand; all are stopped at the end of the test."""
    started: list[WorkerProcess] = []

    def start(**settings: str) -> WorkerProcess:
        worker = WorkerProcess({**test_env, **settings}).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def sign_in(live_app):
    """Walk the OAuth dance through the emulator's consent screen, as a browser would."""

    def walk(platform: str, person_id: str, scopes: list[str] | None = None, decision: str = "approve",
             session: requests.Session | None = None, app_url: str | None = None):
        browser = session or requests.Session()
        start = browser.get(f"{app_url or live_app.url}/login/{platform}", allow_redirects=False, timeout=10)
        assert start.status_code == 302, start.text
        consent_url = start.headers["Location"]
        requested = parse_qs(urlparse(consent_url).query)["scope"][0].split()
        answer = browser.post(
            consent_url,
            data={"decision": decision, "person": person_id, "scope": requested if scopes is None else scopes},
            allow_redirects=False, timeout=10,
        )
        assert answer.status_code == 302, answer.text
        back = browser.get(answer.headers["Location"], allow_redirects=False, timeout=30)
        return browser, back

    return walk
