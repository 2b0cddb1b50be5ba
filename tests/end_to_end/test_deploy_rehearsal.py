"""A deploy rehearsal: `app.json` and the `Procfile` read as the PaaS reads them, the release line run, the
web and worker lines started exactly as written, behind a router that ends TLS and adds forwarded headers.

Only the outside services are stand-ins: the emulator answers as Google and as Vonage, over https with a
certificate the dynos are told to trust. Everything else is the production
configuration a fresh deploy gets: required variables filled in, secrets generated, add-on URLs.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import requests
from redis import Redis
from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.config import load_settings
from app.environment import database_url
from app.models import User
from dev import stop
from local_servers import free_port
from sandbox.server import LiveServer
from tests.support.database import scratch_database
from tests.support.emulator import Emulator
from tests.support.oauth import GOOGLE_CLIENT, walk_sign_in
from tests.support.paas import (
    app_json,
    config_vars,
    dyno_environment,
    procfile,
    router,
    run_line,
    self_signed_certificate,
)
from tests.support.paths import ROOT
from tests.support.polling import wait_until

PHONE = "+447700900123"


@dataclass
class Deployment:
    """The running deploy: its config vars, the router's address, the dynos and what they logged."""

    config: dict[str, str]
    url: str
    web_port: int
    certificate: str
    release: subprocess.CompletedProcess
    dynos: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: dict[str, object] = field(default_factory=dict)
    last_error: str = ""

    def browser(self) -> requests.Session:
        session = requests.Session()
        # Only the router's certificate: this machine's REQUESTS_CA_BUNDLE would otherwise win over `verify`.
        session.trust_env = False
        session.verify = self.certificate
        return session

    def log(self, dyno: str) -> str:
        self.logs[dyno].seek(0)
        return self.logs[dyno].read().decode(errors="replace")


def what_the_operator_fills_in(public_url: str) -> dict[str, str]:
    """The deploy form's required fields: the site's address and the outside accounts' credentials (here the
    ones the stand-ins accept)."""
    return {
        "PUBLIC_URL": public_url,
        "GOOGLE_CLIENT_ID": GOOGLE_CLIENT[0],
        "GOOGLE_CLIENT_SECRET": GOOGLE_CLIENT[1],
        "VONAGE_API_KEY": "rehearsal-key",
        "VONAGE_API_SECRET": "rehearsal-secret",
        "VONAGE_FROM": "BatteryText",
        "VONAGE_SIGNATURE_SECRET": secrets.token_hex(16),
    }


def stand_ins(emulator: LiveServer, certificate: str) -> dict[str, str]:
    """Where this machine's stand-ins answer instead of Google and Vonage, over https as the real ones do (OAuth
    in production refuses plain http); the dynos trust the stand-in's certificate. Nothing else differs."""
    return {
        "GOOGLE_HEALTH_API_URL": emulator.url + "/google",
        "GOOGLE_AUTHORIZE_URL": emulator.url + "/google/o/oauth2/v2/auth",
        "GOOGLE_TOKEN_URL": emulator.url + "/google/token",
        "GOOGLE_REVOKE_URL": emulator.url + "/google/revoke",
        "VONAGE_REST_HOST": f"127.0.0.1:{emulator.port}/vonage",
        "VONAGE_API_HOST": f"127.0.0.1:{emulator.port}/vonage",
        "REQUESTS_CA_BUNDLE": certificate,
    }


def _run_release(command: str, config: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=ROOT, env=dyno_environment(config, "release.1"),
                          capture_output=True, text=True, timeout=120, check=False)


def _start(deploy: Deployment, dyno: str, command: str, **settings: str) -> None:
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the deployment
    deploy.logs[dyno] = log
    deploy.dynos[dyno] = run_line(command, {**dyno_environment(deploy.config, dyno), **settings},
                                  stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def deployment(live_emulator, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rehearsal")
    cert, key = self_signed_certificate(folder)
    web_port = free_port()
    with (scratch_database("rehearsal", folder) as database,
          LiveServer(live_emulator.app, ssl_context=(str(cert), str(key))) as emulator_https,
          router(web_port, cert, key) as front):
        # The add-ons hand out postgres:// URLs, as Heroku's does.
        addons = {"DATABASE_URL": database.replace("postgresql://", "postgres://", 1),
                  "REDIS_URL": os.environ["REDIS_URL"]}
        config = {**config_vars(app_json(), what_the_operator_fills_in(front.url)), **addons,
                  **stand_ins(emulator_https, str(cert))}
        lines = procfile()
        deploy = Deployment(config, front.url, web_port, str(cert), _run_release(lines["release"], config))
        try:
            if deploy.release.returncode == 0:
                # The buildpack's WEB_CONCURRENCY for a standard-1x dyno.
                _start(deploy, "web.1", lines["web"], PORT=str(web_port), WEB_CONCURRENCY="2")
                _start(deploy, "worker.1", lines["worker"])
            yield deploy
        finally:
            # As the platform stops dynos: SIGTERM to every process of each, SIGKILL after its 30 s.
            stop(list(deploy.dynos.values()), grace=30)
            for log in deploy.logs.values():
                log.close()


def health(deploy: Deployment) -> requests.Response | None:
    try:
        return deploy.browser().get(deploy.url + "/healthz", timeout=5)
    except requests.RequestException as error:
        deploy.last_error = repr(error)
        return None


@pytest.fixture(scope="module")
def running(deployment):
    """The deploy once its release succeeded and the web dyno answers through the router."""
    assert deployment.release.returncode == 0, deployment.release.stdout + deployment.release.stderr
    try:
        wait_until(lambda: (answer := health(deployment)) is not None and answer.status_code == 200, seconds=60,
                   what="/healthz through the router")
    except AssertionError as failure:
        logs = "\n".join(f"{dyno}:\n{deployment.log(dyno)}" for dyno in deployment.dynos)
        raise AssertionError(f"{failure} ({deployment.last_error})\n{logs}") from None
    return deployment


def test_the_release_phase_migrates_a_fresh_database(deployment):
    assert deployment.release.returncode == 0, deployment.release.stdout + deployment.release.stderr
    assert "Running upgrade" in deployment.release.stderr + deployment.release.stdout


def test_the_web_dyno_answers_health_through_the_router_with_the_database_and_redis_up(running):
    answer = health(running)
    assert answer.status_code == 200
    assert answer.json()["database"] == "ok" and answer.json()["redis"] == "ok"
    # HSTS is only sent over https: the app saw the router's X-Forwarded-Proto.
    assert "max-age" in answer.headers["Strict-Transport-Security"]


def test_plain_http_straight_to_the_dyno_is_sent_to_the_public_https_address(running):
    answer = requests.get(f"http://127.0.0.1:{running.web_port}/healthz", headers={"Host": "attacker.example"},
                          allow_redirects=False, timeout=5)
    assert answer.status_code in {301, 302}
    assert answer.headers["Location"] == running.url + "/healthz"


@pytest.fixture(scope="module")
def texted_after_a_push(running, live_emulator):
    """A person signs in with Google through the router, has a confirmed phone, their tracker drops to 15 %,
    and Google pushes: the deploy's own worker reads the battery and texts through Vonage."""
    world = Emulator(live_emulator.url)
    world.reset()
    person = world.person(devices=[{"product": "Charge 6", "battery_level": 80}])
    browser, back = walk_sign_in(running.url, "google", person["id"], session=running.browser())
    assert back.status_code == 302 and back.headers["Location"].endswith("/next"), back.text
    # The phone flow has its own tests: the number is confirmed in the deploy's database directly.
    engine = create_engine(database_url(running.config["DATABASE_URL"]))
    with Session(engine) as session:
        session.execute(update(User).values(phone=PHONE, phone_verified_at=datetime.now(UTC)))
        session.commit()
    engine.dispose()
    world.set_device(person["id"], person["devices"][0]["id"], battery_level=15)
    push = running.browser().post(
        running.url + "/webhooks/google-health", data=google_push(person["health_user_id"]),
        headers={"Authorization": running.config["GOOGLE_HEALTH_WEBHOOK_SECRET"], "Content-Type": "application/json"},
        timeout=10,
    )
    texts = wait_until(lambda: [text for text in world.texts_to(PHONE) if "15%" in text["text"]], seconds=60,
                       what="the low-battery text on the phone")
    return push, texts, browser


def google_push(health_user_id: str) -> bytes:
    """A Google Health notification as provider-facts.md gives it."""
    now = datetime.now(UTC)
    return json.dumps({"data": {
        "version": "1", "clientProvidedSubscriptionName": "rehearsal", "healthUserId": health_user_id,
        "operation": "UPSERT", "dataType": "steps",
        "intervals": [{"startTime": (now - timedelta(minutes=15)).isoformat(), "endTime": now.isoformat()}],
    }}).encode()


def test_a_signed_push_through_the_router_ends_in_one_text_on_the_phone(texted_after_a_push):
    push, texts, _ = texted_after_a_push
    assert push.status_code == 204
    assert len(texts) == 1
    assert "Charge 6" in texts[0]["text"] and texts[0]["from"] == "BatteryText"


# Keys that live without an expiry (docs/reliability.md, "Redis memory"): RQ's own bookkeeping, bounded by the
# number of queues and live workers, its registries (sorted sets whose entries expire by score) and queues,
# our one hash of users whose sync is still owed, and the two hashes of metrics (one field per label set).
KEYS_WITHOUT_EXPIRY = re.compile(
    r"rq:(queues|workers|workers:\w+|queue:\w+|(finished|failed|started|scheduled|deferred|canceled|wip):\w+)"
    r"|sync:dirty|metrics:counters|metrics:histograms"
)
# A job's own hash lives until it has run; then its result or failure lifetime applies.
WAITING = {"queued", "scheduled", "started", "deferred"}


def test_after_a_pipeline_run_every_redis_key_expires_or_is_one_of_the_documented_few(texted_after_a_push):
    redis = Redis.from_url(os.environ["REDIS_URL"])
    forever = [key.decode() for key in redis.scan_iter(count=1000) if redis.ttl(key) == -1]
    # A job seen without an expiry may have finished since: its status is read first, then its expiry again
    # (RQ sets a finished job's status and lifetime in one transaction).
    unexplained = [
        key for key in forever
        if not KEYS_WITHOUT_EXPIRY.fullmatch(key)
        and not (key.startswith("rq:job:") and (redis.hget(key, "status") or b"").decode() in WAITING)
        and redis.ttl(key) == -1
    ]
    assert unexplained == []
    finished = [key for key in redis.scan_iter("rq:job:*") if (redis.hget(key, "status") or b"") == b"finished"]
    assert finished and all(redis.ttl(key) > 0 for key in finished)


class ConnectionCounter:
    """Samples, while load runs, the connections each process of the deploy holds: PostgreSQL by
    application_name, Redis by client name (both `battery-<role>-<pid>`, set by app.extensions)."""

    def __init__(self, deploy: Deployment):
        self.database = make_url(database_url(deploy.config["DATABASE_URL"])).database
        self.admin = create_engine(database_url(os.environ["TEST_DATABASE_URL"]))
        self.redis = Redis.from_url(os.environ["REDIS_URL"])
        self.redis_db = str(self.redis.connection_pool.connection_kwargs.get("db", 0))
        self.samples: list[dict[tuple[str, str], int]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> dict[tuple[str, str], int]:
        with self.admin.connect() as connection:
            rows = connection.execute(text(
                "SELECT application_name, count(*) FROM pg_stat_activity WHERE datname = :name GROUP BY 1"
            ), {"name": self.database}).all()
        counts = {("postgres", name): count for name, count in rows}
        for client in self.redis.client_list():
            if client["db"] == self.redis_db and client["name"].startswith("battery-"):
                key = ("redis", client["name"])
                counts[key] = counts.get(key, 0) + 1
        return counts

    def _run(self) -> None:
        while not self.stopping.is_set():
            self.samples.append(self._sample())
            self.stopping.wait(0.02)  # the sampling rate, not a wait for anything

    def __enter__(self) -> ConnectionCounter:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self.thread.join()
        self.admin.dispose()

    def most_per_process(self, service: str, role: str) -> dict[str, int]:
        """The most connections each process of `role` held at once."""
        most: dict[str, int] = {}
        for sample in self.samples:
            for (kind, name), count in sample.items():
                if kind == service and name.startswith(f"battery-{role}-"):
                    most[name] = max(most.get(name, 0), count)
        return most

    def most_at_once(self, service: str, *roles: str) -> int:
        """The most connections the deploy's processes of these roles held together at one moment (the test's
        own process and the apps earlier tests left behind are no part of the deploy)."""
        prefixes = tuple(f"battery-{role}-" for role in roles)
        return max((sum(count for (kind, name), count in sample.items()
                        if kind == service and name.startswith(prefixes)) for sample in self.samples), default=0)


def load(deploy: Deployment, browser: requests.Session) -> list[int]:
    """Pushes for 300 users at once, the dashboard loaded 60 times and two live streams held open meanwhile.

    Sent straight to the web dyno with the headers the router adds: the stand-in router, built for
    correctness, would cost more of this machine's two cores than the dyno itself, and it buffers streams."""
    dyno = f"http://127.0.0.1:{deploy.web_port}"
    routed = {"X-Forwarded-Proto": "https", "X-Forwarded-Port": "443", "X-Forwarded-For": "203.0.113.9",
              "Host": deploy.url.removeprefix("https://")}
    signed_in = {**routed, "Cookie": "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies)}

    def push(number: int) -> int:
        return requests.post(dyno + "/webhooks/google-health", data=google_push(f"load-{number}"), timeout=30,
                             headers={**routed, "Authorization": deploy.config["GOOGLE_HEALTH_WEBHOOK_SECRET"]},
                             ).status_code

    def dashboard(_: int) -> int:
        return requests.get(dyno + "/dashboard", headers=signed_in, timeout=30, allow_redirects=False).status_code

    streams = [requests.get(dyno + "/dashboard/events", headers=signed_in, stream=True, timeout=30) for _ in range(2)]
    try:
        with ThreadPoolExecutor(max_workers=24) as pool:
            answers = [*pool.map(push, range(300)), *pool.map(dashboard, range(60))]
    finally:
        for stream in streams:
            stream.close()
    return answers + [stream.status_code for stream in streams]


# README, "Connections and plans": a worker dyno holds at most one database connection in its main process and
# one in the job it runs; on Redis its main loop, its command listener, its scheduler and its job one each.
WORKER_DATABASE_CONNECTIONS = 2
WORKER_REDIS_CONNECTIONS = 4
# The smallest plans app.json asks for (heroku-postgresql:essential-0, heroku-redis:mini) allow 20 each; a
# one-off `heroku run` (a release, a console) needs one more of each.
PLAN_CONNECTIONS = 20


def test_under_load_every_process_stays_within_its_connection_budget(texted_after_a_push, running):
    if not running.config["DATABASE_URL"].startswith("postgres"):
        pytest.skip("connections are counted on PostgreSQL (CI runs this against PostgreSQL)")
    _, _, browser = texted_after_a_push
    settings = load_settings(running.config)
    web_database = settings["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] + settings["SQLALCHEMY_ENGINE_OPTIONS"]["max_overflow"]
    with ConnectionCounter(running) as counter:
        answers = load(running, browser)
    assert set(answers) <= {200, 204}, sorted(set(answers))
    web_processes = counter.most_per_process("postgres", "web")
    assert len(web_processes) == 2, web_processes  # both gunicorn processes served
    assert max(web_processes.values()) <= web_database
    assert max(counter.most_per_process("redis", "web").values()) <= settings["REDIS_MAX_CONNECTIONS"]
    assert counter.most_at_once("postgres", "worker") <= WORKER_DATABASE_CONNECTIONS
    assert counter.most_at_once("redis", "worker") <= WORKER_REDIS_CONNECTIONS
    assert counter.most_at_once("postgres", "web", "worker") + 1 <= PLAN_CONNECTIONS
    assert counter.most_at_once("redis", "web", "worker") + 1 <= PLAN_CONNECTIONS
