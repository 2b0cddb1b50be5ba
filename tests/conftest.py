"""Shared fixtures: the app on the test database and real Redis, a clean slate per test, the emulator, real workers.

Only fixtures live here; what they are built from is in `tests/support/`.
"""

from __future__ import annotations

import pytest
import requests
from flask_migrate import upgrade

from app.extensions import db, limiter, queues
from sandbox.server import LiveEmulator, LiveServer
from tests.support.database import drop_everything
from tests.support.emulator import Emulator, webhooks_of
from tests.support.environment import app_environment, testing_app
from tests.support.oauth import walk_sign_in
from tests.support.paths import MIGRATIONS
from tests.support.workers import WorkerProcess


@pytest.fixture(scope="session")
def live_emulator():
    """The platform emulator (Fitbit, Google Health, Vonage, the phone) over real HTTP."""
    with LiveEmulator({}) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def test_env(live_emulator) -> dict[str, str]:
    """The environment the app, and every worker process a test starts, runs with."""
    return app_environment(live_emulator.url)


@pytest.fixture(scope="session")
def _app(test_env):
    app = testing_app({}, test_env)
    with app.app_context():
        drop_everything(db.engine)
        upgrade(directory=str(MIGRATIONS))
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
        app = testing_app(overrides or {}, {**test_env, **environ})
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()
    limiter.__dict__.clear()
    limiter.__dict__.update(limiter_state)


@pytest.fixture
def client(app):
    """A browser on the app in process, signed out; `app.test_client(user=user)` gives a signed-in one."""
    return app.test_client()


@pytest.fixture
def texts_only_recorded(app, monkeypatch):
    """Texts stay in the outbox instead of reaching a phone, and Vonage's webhooks are taken unsigned."""
    monkeypatch.setitem(app.config, "SMS_OUTBOX_URL", None)
    monkeypatch.setitem(app.config, "VONAGE_SIGNATURE_SECRET", None)


@pytest.fixture(scope="session")
def live_app(_app, live_emulator):
    """Our app over real HTTP, with the emulator pushing to its webhooks."""
    with LiveServer(_app) as server:
        settings = requests.post(live_emulator.url + "/_control/settings", json=webhooks_of(server.url), timeout=5)
        settings.raise_for_status()
        yield server


@pytest.fixture
def emulated_platforms(app, live_emulator) -> Emulator:
    """The emulator reset for this test, answering as Fitbit, Google and Vonage; the app is not served over HTTP."""
    world = Emulator(live_emulator.url)
    world.reset()
    return world


@pytest.fixture
def emulator(emulated_platforms, live_app) -> Emulator:
    """A fresh emulated world for each test, its pushes and phone replies reaching the live app."""
    return emulated_platforms


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
    """Walk the OAuth dance through the emulator's consent screen, as a browser would (against the live app,
    or the app at `app_url`)."""

    def walk(platform: str, person_id: str, scopes: list[str] | None = None, decision: str = "approve",
             session: requests.Session | None = None, app_url: str | None = None):
        return walk_sign_in(app_url or live_app.url, platform, person_id, scopes=scopes, decision=decision,
                            session=session)

    return walk
