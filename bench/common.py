"""Shared plumbing for the benchmarks: the production-like environment, processes started and stopped, a clean slate.

Everything here uses the bench database (created if missing) and Redis db 15 (or BENCH_REDIS_URL's) only, and loopback
addresses only.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from local_servers import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench")
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")

# Obviously fake values: the bench never talks to a real platform or to Vonage.
FITBIT_CLIENT_ID = "bench-fitbit-client"
FITBIT_CLIENT_SECRET = "bench-fitbit-secret"
FITBIT_VERIFICATION_CODE = "bench-verify-code"
GOOGLE_CLIENT_ID = "bench-google-client"
GOOGLE_CLIENT_SECRET = "bench-google-secret"
GOOGLE_WEBHOOK_SECRET = "bench-google-webhook-secret"
TOKEN_KEY = base64.urlsafe_b64encode(b"bench-only-fernet-key-not-secret").decode()

# Everything is wiped: never a database not named bench*, never Redis db 0 (the default every other tool uses).
# Redis db 15 unless BENCH_REDIS_URL names another (on a shared machine, the index you were given).
if "bench" not in BENCH_DATABASE_URL.rsplit("/", 1)[-1] or BENCH_REDIS_URL.rsplit("/", 1)[-1] in {"", "0"} \
        or not BENCH_REDIS_URL.rsplit("/", 1)[-1].isdigit():
    sys.exit("refusing to run: the benchmarks only use a database named bench* and a numbered Redis db other than 0")


def production_env(emulator_url: str | None = None, **extra: str) -> dict[str, str]:
    """APP_ENV=production with fake secrets; with an emulator URL the platforms and SMS point at it (SANDBOX stays unset)."""
    env = {key: value for key, value in os.environ.items() if key not in {"SANDBOX", "DYNO", "PORT"}}
    env.update({
        "APP_ENV": "production",
        "SECRET_KEY": "bench-secret",
        "TOKEN_ENCRYPTION_KEY": TOKEN_KEY,
        "DATABASE_URL": BENCH_DATABASE_URL,
        "REDIS_URL": BENCH_REDIS_URL,
        "FITBIT_CLIENT_ID": FITBIT_CLIENT_ID,
        "FITBIT_CLIENT_SECRET": FITBIT_CLIENT_SECRET,
        "FITBIT_VERIFICATION_CODE": FITBIT_VERIFICATION_CODE,
        "GOOGLE_CLIENT_ID": GOOGLE_CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": GOOGLE_CLIENT_SECRET,
        "GOOGLE_HEALTH_WEBHOOK_SECRET": GOOGLE_WEBHOOK_SECRET,
        "PUBLIC_URL": "http://127.0.0.1",
        "SMS_BACKEND": "outbox",
        "LOG_LEVEL": "warning",
        "PYTHONUNBUFFERED": "1",
    })
    if emulator_url:
        env.update({
            "FITBIT_API_URL": emulator_url + "/fitbit",
            "FITBIT_AUTHORIZE_URL": emulator_url + "/fitbit/oauth2/authorize",
            "GOOGLE_HEALTH_API_URL": emulator_url + "/google",
            "GOOGLE_AUTHORIZE_URL": emulator_url + "/google/o/oauth2/v2/auth",
            "GOOGLE_TOKEN_URL": emulator_url + "/google/token",
            "GOOGLE_REVOKE_URL": emulator_url + "/google/revoke",
            "SMS_OUTBOX_URL": emulator_url + "/vonage/sms/json",
            # The emulator speaks plain http on loopback; oauthlib refuses http unless told (the real platforms are https).
            "OAUTHLIB_INSECURE_TRANSPORT": "1",
        })
    env.update(extra)
    return env


def emulator_env(app_url: str, port: int) -> dict[str, str]:
    """The emulator with the same fake client identities as our app, pushing to our gunicorn."""
    env = {key: value for key, value in os.environ.items() if key != "SANDBOX"}
    env.update({
        "SANDBOX_PORT": str(port),
        "APP_URL": app_url,
        "FITBIT_CLIENT_ID": FITBIT_CLIENT_ID,
        "FITBIT_CLIENT_SECRET": FITBIT_CLIENT_SECRET,
        "FITBIT_VERIFICATION_CODE": FITBIT_VERIFICATION_CODE,
        "GOOGLE_CLIENT_ID": GOOGLE_CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": GOOGLE_CLIENT_SECRET,
        "GOOGLE_HEALTH_WEBHOOK_SECRET": GOOGLE_WEBHOOK_SECRET,
        "VONAGE_RECEIPT_DELAY_SECONDS": "0.1",
    })
    return env


def wait_until(condition, seconds: float, interval: float = 0.1, what: str = "condition"):
    """Poll with a deadline: every wait in the benchmarks is bounded."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {seconds} s waiting for {what}")


class Processes:
    """Children started by a benchmark, each in its own process group, stopped by pid at the end."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []

    def spawn(self, command: list[str], env: dict[str, str], log_name: str | None = None) -> subprocess.Popen:
        output = open(RESULTS / f"{log_name}.log", "wb") if log_name else subprocess.DEVNULL
        process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                                   stdout=output, stderr=subprocess.STDOUT)
        self.started.append(process)
        return process

    def gunicorn(self, module: str, env: dict[str, str], log_name: str | None = None, **settings: str) -> tuple[subprocess.Popen, str]:
        """`gunicorn <module> --config gunicorn.conf.py`, as the Procfile runs it, on a free loopback port."""
        port = free_port()
        process = self.spawn([PYTHON, "-m", "gunicorn", module, "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
                             {**env, "PORT": str(port), **settings}, log_name)
        wait_for_port(port, process, f"gunicorn {module}")
        return process, f"http://127.0.0.1:{port}"

    def emulator(self, app_url: str) -> str:
        port = free_port()
        process = self.spawn([PYTHON, "-m", "sandbox"], emulator_env(app_url, port), "emulator")
        wait_for_port(port, process, "the emulator")
        return f"http://127.0.0.1:{port}"

    def worker(self, env: dict[str, str], name: str) -> subprocess.Popen:
        """`python worker.py`, exactly as the Procfile starts it."""
        return self.spawn([PYTHON, "worker.py"], env, name)

    def stop(self, process: subprocess.Popen, grace: float = 10) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop_all(self) -> None:
        for process in reversed(self.started):
            self.stop(process)


@contextmanager
def processes() -> Iterator[Processes]:
    started = Processes()
    # A benchmark stopped with SIGTERM still stops what it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        yield started
    finally:
        started.stop_all()


def create_database_if_missing(url: str = BENCH_DATABASE_URL) -> bool:
    """Create the bench database on its server when it does not exist yet (a fresh machine); True if created.

    Connects to the server's `postgres` maintenance database, as tests/support/database.py does for its scratch ones.
    """
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def fresh_database(env: dict[str, str]) -> None:
    """Create the bench database if needed, empty it and Redis db 15, then apply the migrations as the release
    phase does."""
    import psycopg
    import redis

    create_database_if_missing()
    with psycopg.connect(BENCH_DATABASE_URL, autocommit=True) as connection:
        # A clean slate: a connection an earlier benchmark of this run left inside a transaction (or a server it
        # started) would otherwise hold its locks and the DROP would wait for ever.
        connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    redis.Redis.from_url(BENCH_REDIS_URL).flushdb()
    subprocess.run([PYTHON, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def save(name: str, result: dict) -> Path:
    """Each benchmark writes bench/results/<name>.json; run_all.py turns them into tables."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    return path


def machine() -> dict[str, str]:
    import platform

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": memory, "python": platform.python_version(),
            "kernel": platform.release(), "date": time.strftime("%Y-%m-%d %H:%M %Z")}
