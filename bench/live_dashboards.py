"""Benchmark 5: webhook latency while 100 live dashboards hold server-sent-event streams (GET /dashboard/events).

Production gunicorn (2 workers × 8 gthreads by default), signed-in browsers simulated with Flask's own signed
session cookie. Same run: webhook saturation and half load with no dashboards open, then with 100 open.
Reports how many of the 100 streams were granted (app/live.py caps streams per web process, LIVE_MAX_STREAMS)
and how many were answered 204 (the page then refreshes on a slow timer).

    .venv/bin/python -m bench.live_dashboards [--dashboards 100] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
import uuid
from urllib.parse import urlsplit

import psycopg

from bench.common import BENCH_DATABASE_URL, fresh_database, machine, processes, production_env, save
from bench.loadgen import run_load_in_subprocess
from bench.webhook_ingest import fitbit_pushes


def session_cookies(env: dict[str, str], user_ids: list[int]) -> list[str]:
    from app import create_app

    app = create_app(environ=env)
    serializer = app.session_interface.get_signing_serializer(app)
    return [serializer.dumps({"_user_id": str(user_id), "_fresh": True}) for user_id in user_ids]


async def hold_streams(url: str, cookies: list[str], hold_seconds: float, outcome: dict) -> None:
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
                deadline = time.monotonic() + hold_seconds
                while time.monotonic() < deadline:
                    try:
                        chunk = await asyncio.wait_for(reader.read(4096), max(0.1, deadline - time.monotonic()))
                    except TimeoutError:
                        break
                    if not chunk:
                        break
            writer.close()
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
            outcome[type(error).__name__] = outcome.get(type(error).__name__, 0) + 1

    await asyncio.gather(*(one(cookie) for cookie in cookies))


def main(dashboards: int = 100, seconds: float = 10) -> dict:
    env = production_env()
    fresh_database(env)
    with psycopg.connect(BENCH_DATABASE_URL, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO users (id, platform, platform_user_id, time_zone, time_zone_from_platform, connection_state, "
            "phone, phone_verified_at, threshold_percent, include_scales, paused, created_at) "
            "SELECT g, 'google', 'live-' || g, 'UTC', true, 'connected', '+4477009' || lpad(g::text, 5, '0'), now(), 20, false, false, now() "
            f"FROM generate_series(1, {dashboards}) g")
        connection.execute(f"SELECT setval('users_id_seq', {dashboards})")
    cookies = session_cookies(env, list(range(1, dashboards + 1)))
    result: dict = {"machine": machine(), "dashboards": dashboards, "seconds": seconds}
    with processes() as started:
        _, url = started.gunicorn("wsgi:app", env)
        time.sleep(3)
        probe = {}
        asyncio.run(hold_streams(url, cookies[:1], 0.5, probe))
        result["route_status"] = probe
        requests = fitbit_pushes(3000, uuid.uuid4().hex[:6])
        baseline = run_load_in_subprocess(url, requests, connections=32, seconds=seconds, warmup=2)
        half_rate = baseline["rps"] / 2
        result["without_dashboards"] = {
            "saturation": baseline,
            "half_load": run_load_in_subprocess(url, fitbit_pushes(3000, uuid.uuid4().hex[:6]), rate=half_rate, connections=32,
                                                seconds=seconds, warmup=1)}
        outcome: dict = {}
        holder = threading.Thread(target=lambda: asyncio.run(hold_streams(url, cookies, 4 * seconds + 15, outcome)))
        holder.start()
        time.sleep(3)
        result["streams"] = {str(key): value for key, value in outcome.items()}
        result["with_dashboards"] = {
            "saturation": run_load_in_subprocess(url, fitbit_pushes(3000, uuid.uuid4().hex[:6]), connections=32,
                                                 seconds=seconds, warmup=2),
            "half_load": run_load_in_subprocess(url, fitbit_pushes(3000, uuid.uuid4().hex[:6]), rate=half_rate, connections=32,
                                                seconds=seconds, warmup=1)}
        result["streams"] = {str(key): value for key, value in outcome.items()}
        holder.join(timeout=4 * seconds + 30)
    with_d, without = result["with_dashboards"], result["without_dashboards"]
    result["ratio_p99_half_with_over_without"] = round(with_d["half_load"]["p99_ms"] / without["half_load"]["p99_ms"], 2)
    result["ratio_rps_with_over_without"] = round(with_d["saturation"]["rps"] / without["saturation"]["rps"], 3)
    save("live_dashboards", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dashboards", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    options = parser.parse_args()
    print(json.dumps(main(options.dashboards, options.seconds), indent=2))
