"""Benchmark 5: webhook throughput and latency while 100 live dashboards hold server-sent-event streams.

Production gunicorn (GUNICORN_THREADS from gunicorn.conf.py; one web process by default, so that it alone holds
all 100), signed-in browsers simulated with Flask's own signed session cookie. Same run: webhook saturation
without and with the 100 dashboards open, after a warm-up three rounds in turn, the order swapped each round (the
ratio is of their sums), then half load
without and with. Reports how many of the 100 streams were granted (200; a
204 means the page refreshes on a slow timer) and how many were live: each user's event, published on Redis
while the streams are held, reached that user's stream. Also the web processes' Redis connections and resident
memory with the streams open, and the share of a core the web process uses, idle, without and with them.

    .venv/bin/python -m bench.live_dashboards [--dashboards 100] [--seconds 10] [--web-processes 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from redis import Redis

from bench.common import BENCH_DATABASE_URL, BENCH_REDIS_URL, fresh_database, machine, processes, production_env, save
from bench.loadgen import run_load_in_subprocess
from bench.webhook_ingest import fitbit_pushes

# Every bench user's session version (app.domain.accounts: a signed cookie names the user and the version it was made for).
SESSION_VERSION = "bench"


def session_cookies(env: dict[str, str], user_ids: list[int]) -> list[str]:
    from app import create_app

    app = create_app(environ=env)
    serializer = app.session_interface.get_signing_serializer(app)
    return [serializer.dumps({"_user_id": f"{user_id}:{SESSION_VERSION}", "_fresh": True}) for user_id in user_ids]


async def hold_streams(url: str, cookies: list[str], stop: threading.Event, outcome: dict) -> None:
    """Open a stream per cookie and read it until `stop`; count the answers, and the streams an event reached."""
    parts = urlsplit(url)

    async def one(cookie: str):
        try:
            reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            writer.write((f"GET /dashboard/events HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n"
                          f"X-Forwarded-Proto: https\r\nCookie: session={cookie}\r\n\r\n").encode())
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
            status = int(head[9:12])
            outcome[status] = outcome.get(status, 0) + 1
            if status == 200:
                heard = False
                while not stop.is_set():
                    try:
                        chunk = await asyncio.wait_for(reader.read(4096), 0.2)
                    except TimeoutError:
                        continue
                    if not chunk:
                        outcome["ended early"] = outcome.get("ended early", 0) + 1
                        break
                    if not heard and b"event: readings" in chunk:
                        heard = True
                        outcome["heard"] = outcome.get("heard", 0) + 1
            writer.close()
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
            outcome[type(error).__name__] = outcome.get(type(error).__name__, 0) + 1

    await asyncio.gather(*(one(cookie) for cookie in cookies))


def web_processes_now(master_pid: int) -> dict:
    """The gunicorn worker processes under the master: their resident memory (MB) and thread counts."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(status["PPid"]) == master_pid:
            found[entry.name] = {"rss_mb": round(int(status["VmRSS"].split()[0]) / 1024, 1),
                                 "threads": int(status["Threads"])}
    return found


def cpu_share(master_pid: int, seconds: float = 5) -> float:
    """The share of one core the web processes used over `seconds` (from /proc: user + system time)."""
    def used() -> float:
        ticks = 0
        for pid in web_processes_now(master_pid):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    before = used()
    time.sleep(seconds)  # the measuring window, not a wait for anything
    return round((used() - before) / seconds, 4)


def redis_connections_now(redis: Redis) -> dict[str, int]:
    """The bench database's Redis connections, by process (client names battery-<role>-<pid>)."""
    database = str(redis.connection_pool.connection_kwargs.get("db", 0))
    counts: dict[str, int] = {}
    for client in redis.client_list():
        if client["db"] == database and client["name"].startswith("battery-"):
            counts[client["name"]] = counts.get(client["name"], 0) + 1
    return counts


ROUNDS = 3


def median_run(runs: list[dict]) -> dict:
    """The run with the median throughput."""
    return sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]


@contextmanager
def open_dashboards(url: str, cookies: list[str], redis: Redis) -> Iterator[dict]:
    """Every cookie's dashboard open and held until the block ends; one event published per user, as a job
    would, so `answers["heard"]` counts the streams that are live (the event reached its user's stream)."""
    from app.adapters.events import channel

    outcome: dict = {}
    stop = threading.Event()
    holder = threading.Thread(target=lambda: asyncio.run(hold_streams(url, cookies, stop, outcome)))
    holder.start()
    try:
        answered = lambda: sum(outcome.get(key, 0) for key in (200, 204, "TimeoutError", "OSError"))  # noqa: E731
        deadline = time.monotonic() + 30
        while answered() < len(cookies) and time.monotonic() < deadline:
            time.sleep(0.1)  # the streams' answers, polled
        for user_id in range(1, len(cookies) + 1):
            redis.publish(channel(user_id, redis), json.dumps({"type": "readings", "devices": []}))
        deadline = time.monotonic() + 10
        while outcome.get("heard", 0) < outcome.get(200, 0) and time.monotonic() < deadline:
            time.sleep(0.1)
        held = {"answers": outcome}
        yield held
    finally:
        stop.set()
        holder.join(timeout=30)
        # The server notices a closed stream within a second (app.web.dashboard.stream.HANG_UP_CHECK_SECONDS); until
        # then its slot is taken. Polled: the listener leaves a user's channel once their last stream is gone.
        channels = [channel(user_id, redis) for user_id in range(1, len(cookies) + 1)]
        deadline = time.monotonic() + 30
        while any(count for _, count in redis.pubsub_numsub(*channels)) and time.monotonic() < deadline:
            time.sleep(0.1)
    held["answers"] = {str(key): value for key, value in outcome.items()}


def main(dashboards: int = 100, seconds: float = 10, web_processes: int = 1) -> dict:
    env = production_env()
    fresh_database(env)
    with psycopg.connect(BENCH_DATABASE_URL, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO users (id, platform, platform_user_id, time_zone, time_zone_from_platform, connection_state, "
            "phone, phone_verified_at, threshold_percent, include_scales, paused, awaiting_first_reading, created_at, "
            "session_version) "
            "SELECT g, 'google', 'live-' || g, 'UTC', true, 'connected', '+4477009' || lpad(g::text, 5, '0'), now(), 20, false, "
            f"false, false, now(), '{SESSION_VERSION}' "
            f"FROM generate_series(1, {dashboards}) g")
        connection.execute(f"SELECT setval('users_id_seq', {dashboards})")
    cookies = session_cookies(env, list(range(1, dashboards + 1)))
    redis = Redis.from_url(BENCH_REDIS_URL)
    result: dict = {"machine": machine(), "dashboards": dashboards, "seconds": seconds, "web_processes": web_processes}
    rounds: list[dict] = []
    with processes() as started:
        master, url = started.gunicorn("wsgi:app", env, WEB_CONCURRENCY=str(web_processes))
        time.sleep(3)
        saturation = lambda: run_load_in_subprocess(  # noqa: E731
            url, fitbit_pushes(3000, uuid.uuid4().hex[:6]), connections=32, seconds=seconds, warmup=2)
        # Without and with, in turn, the order swapped each round (without-with, with-without, ...): on a shared
        # machine the neighbours' load drifts, and a process warming up favours whichever runs second.
        saturation()  # the warm-up, not counted
        result["web_processes_without_streams"] = web_processes_now(master.pid)
        result["idle_cpu_share_without_streams"] = cpu_share(master.pid)
        for number in range(ROUNDS):
            without = saturation() if number % 2 == 0 else None
            with open_dashboards(url, cookies, redis) as streams:
                streams["idle_cpu_share"] = cpu_share(master.pid)
                streams["web_processes"] = web_processes_now(master.pid)
                streams["redis_connections"] = redis_connections_now(redis)
                held = saturation()
            rounds.append({"without": without or saturation(), "with": held, "streams": streams})
        half_rate = min(r["without"]["rps"] for r in rounds) / 2
        half = lambda: run_load_in_subprocess(  # noqa: E731
            url, fitbit_pushes(3000, uuid.uuid4().hex[:6]), rate=half_rate, connections=32, seconds=seconds, warmup=1)
        half_without = half()
        with open_dashboards(url, cookies, redis):
            half_with = half()
    result["rounds"] = rounds
    result["streams"] = rounds[-1]["streams"]["answers"]
    result["live"] = min(r["streams"]["answers"].get("heard", 0) for r in rounds)
    result["without_dashboards"] = {"saturation": median_run([r["without"] for r in rounds]), "half_load": half_without}
    result["with_dashboards"] = {"saturation": median_run([r["with"] for r in rounds]), "half_load": half_with}
    result["ratio_p99_half_with_over_without"] = round(half_with["p99_ms"] / half_without["p99_ms"], 2)
    result["ratio_rps_with_over_without"] = round(
        sum(r["with"]["rps"] for r in rounds) / sum(r["without"]["rps"] for r in rounds), 3)
    save("live_dashboards", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dashboards", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--web-processes", type=int, default=1)
    options = parser.parse_args()
    print(json.dumps(main(options.dashboards, options.seconds, options.web_processes), indent=2))
