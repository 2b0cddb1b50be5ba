"""Benchmarks 2 and 3: coalescing (devices reads per sync, texts per low episode) and push → text latency (bench/latency.py).

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

from sqlalchemy import func, select

from bench.common import machine, processes, save, wait_until
from bench.latency import latency as measure_latency
from bench.world import start_world


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


def latency(latency_ms: int = 100, rate: float = 1.5, seconds: float = 30, worker_counts: tuple[int, ...] = (1, 4)) -> dict:
    """Benchmark 3, push → text latency: `bench/latency.py`."""
    return measure_latency(latency_ms, rate, seconds, worker_counts)


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
