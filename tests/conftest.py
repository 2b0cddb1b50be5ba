"""Shared fixtures: the app on the test database and real Redis, a clean slate per test, a real worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask_migrate import upgrade
from rq import Worker
from sqlalchemy import MetaData, text

from app import create_app
from app.extensions import db, queues

ROOT = Path(__file__).resolve().parent.parent


def required_setting(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run the suite with `python3 dev.py test`, which provides it", returncode=4)
    return value


@pytest.fixture(scope="session")
def test_env() -> dict[str, str]:
    """The environment the app, and every worker process a test starts, runs with."""
    return {
        **os.environ,
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
    return app


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

    def make(overrides: dict | None = None, **environ: str):
        app = create_app({"TESTING": True, **(overrides or {})}, environ={**test_env, **environ})
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


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

    def start(self) -> WorkerProcess:
        before = {worker.name for worker in Worker.all(connection=queues.redis)}
        self.process = subprocess.Popen(
            [sys.executable, "worker.py"], cwd=ROOT, env=self.env, start_new_session=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        wait_until(
            lambda: {w.name for w in Worker.all(connection=queues.redis)} - before or self.process.poll() is not None,
            what="the worker to register",
        )
        assert self.process.poll() is None, self.process.stdout.read().decode()
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
        self.process.stdout.close()


@pytest.fixture
def start_worker(app, test_env):
    """Start real worker processes on demand; all are stopped at the end of the test."""
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        worker = WorkerProcess(test_env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
