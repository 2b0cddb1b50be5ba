"""Benchmark 4b: whole sweeps at scale on 4 real workers: the split and every batch job it hands out.

Runs on the data `bench.scale` loaded (1,000,000 users, 3,000,000 devices). Starts `python worker.py` four times
(as the Procfile does; the platforms are a closed loopback port, so a sync fails at once, and texts are only
recorded), then for each case makes that many users' trackers silent for 25 hours and a full backstop batch
(BACKSTOP_PER_SWEEP stale users) due, then waits for the workers' own next scheduled
sweep. Measured from the sweep job's start: the split (the sweep job itself) and the last batch's end.

    .venv/bin/python -m bench.sweep_fan_out [--silent 1000 5000 10000] [--workers 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from datetime import UTC, datetime

import psycopg

from bench.common import BENCH_DATABASE_URL, BENCH_REDIS_URL, machine, processes, production_env, save, wait_until

WORKERS = 4
# About 35 trackers a minute fall silent at a million users if 5 % do a day; 1,000 is a burst.
SILENT_CASES = (100, 1_000)
# Nothing listens on the discard port: a sync's platform call is refused at once, and nothing leaves the machine.
REFUSED_PLATFORMS = "http://127.0.0.1:9"

MAKE_SILENT = """
UPDATE devices SET last_sync_at = now() - interval '25 hours', last_seen_at = now() - interval '25 hours',
                   silent_sent = false
WHERE id IN (SELECT devices.id FROM devices JOIN users ON users.id = devices.user_id
             WHERE users.connection_state = 'connected' AND devices.product_name = 'Charge 6'
               AND devices.last_seen_at > now() - interval '24 hours'
             ORDER BY random() LIMIT %s)
"""
# As the load leaves it (a running service): every silence so far was texted about. A --reuse run starts here too.
SETTLE_SILENCES = """
UPDATE devices SET silent_sent = true WHERE silent_sent = false AND last_seen_at < now() - interval '24 hours'
"""
# A full backstop batch for every sweep: the most it hands out (BACKSTOP_PER_SWEEP), each user once a day.
MAKE_BACKSTOP_DUE = """
UPDATE users SET backstop_requested_at = NULL
WHERE id IN (SELECT id FROM users WHERE connection_state = 'connected' AND last_synced_at < now() - interval '24 hours'
             AND backstop_requested_at IS NOT NULL ORDER BY random() LIMIT %s)
"""


def seconds(later: datetime, earlier: datetime) -> float:
    return round((later - earlier).total_seconds(), 2)


def stamp_of(job_id: str) -> int:
    return int(job_id.split("-")[2])


def run_case(silent_users: int, make_due) -> dict:
    from rq.job import Job

    from app.extensions import queues
    from app.tasks import sweep_batches

    sweeps = queues.queue("sweeps")

    def running_sweeps() -> list[str]:
        return [job_id for job_id in sweeps.started_job_registry.get_job_ids(cleanup=False) if job_id.startswith("sweep-")]

    def scheduled_sweeps() -> list[str]:
        return sorted(job_id for job_id in sweeps.scheduled_job_registry.get_job_ids(cleanup=False)
                      if job_id.startswith("sweep-"))

    wait_until(lambda: not running_sweeps() and scheduled_sweeps() and not sweep_batches.batches_live(
        sweep_batches.SILENT) and not sweep_batches.batches_live(sweep_batches.BACKSTOP), 300, 0.2,
        "the workers to be idle between sweeps")
    make_due(silent_users)
    load_before = os.getloadavg()[0]
    sweep_id = scheduled_sweeps()[0]
    sweep = Job.fetch(sweep_id, connection=queues.redis)
    wait_until(lambda: sweep.get_status(refresh=True) in {"finished", "failed"}, 180, 0.2, f"{sweep_id} to run")
    sweep.refresh()
    handed_out = sweep.return_value() or {}
    wait_until(lambda: not sweep_batches.batches_live(sweep_batches.SILENT)
               and not sweep_batches.batches_live(sweep_batches.BACKSTOP), 900, 0.2, "every batch to finish")
    started = sweep.started_at.replace(tzinfo=UTC)
    ended = sweep.ended_at.replace(tzinfo=UTC)
    low, high = int(started.timestamp()) - 1, int(ended.timestamp()) + 1
    ids = [job_id for registry in (sweeps.finished_job_registry, sweeps.failed_job_registry)
           for job_id in registry.get_job_ids(cleanup=False)
           if job_id.startswith((sweep_batches.SILENT, sweep_batches.BACKSTOP)) and low <= stamp_of(job_id) <= high]
    batches = [job for job in Job.fetch_many(ids, connection=queues.redis) if job]
    last_end = max((job.ended_at.replace(tzinfo=UTC) for job in batches if job.ended_at), default=ended)
    durations = [seconds(job.ended_at, job.started_at) for job in batches if job.ended_at and job.started_at]
    silent = [job for job in batches if job.id.startswith(sweep_batches.SILENT)]
    whole = seconds(last_end, started)
    return {
        "silent_users_made_due": silent_users, "sweep": sweep_id, "handed_out": handed_out,
        "split_seconds": seconds(ended, started), "whole_sweep_seconds": whole, "within_the_minute": whole < 60,
        "batches": len(batches), "silent_batches": len(silent), "backstop_batches": len(batches) - len(silent),
        "failed_batches": sum(1 for job in batches if job.get_status() == "failed"),
        "silent_texts": sum(job.return_value() or 0 for job in silent),
        "users_in_batches": sum(len(job.args[0]) for job in batches),
        "workers_used": len({job.worker_name for job in batches}),
        "batch_seconds_median": round(statistics.median(durations), 2) if durations else None,
        "batch_seconds_max": max(durations, default=None),
        "silent_users_per_second": round(silent_users / whole, 1) if whole else None,
        # The machine is shared: the 1-minute load average (2 cores) before and after the case.
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }


def main(silent_cases: tuple[int, ...] = SILENT_CASES, workers: int = WORKERS) -> dict:
    import redis

    from app import create_app
    from app.tasks import sweeps

    env = production_env(REFUSED_PLATFORMS, SMS_OUTBOX_URL="")
    redis.Redis.from_url(BENCH_REDIS_URL).flushdb()
    result: dict = {"machine": machine(), "workers": workers, "cases": []}
    with psycopg.connect(BENCH_DATABASE_URL, autocommit=True) as connection:
        result["users"] = connection.execute("SELECT count(*) FROM users").fetchone()[0]
        result["devices"] = connection.execute("SELECT count(*) FROM devices").fetchone()[0]
        result["silences_settled_before"] = connection.execute(SETTLE_SILENCES).rowcount

        def make_due(count: int) -> None:
            connection.execute(MAKE_SILENT, (count,))
            connection.execute(MAKE_BACKSTOP_DUE, (sweeps.BACKSTOP_PER_SWEEP,))

        app = create_app(environ=env)
        with app.app_context(), processes() as started:
            for number in range(workers):
                started.worker(env, f"scale-worker-{number}")
            for count in silent_cases:
                result["cases"].append(run_case(count, make_due))
                print(json.dumps(result["cases"][-1]), flush=True)
    save("sweep_fan_out", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--silent", type=int, nargs="+", default=list(SILENT_CASES))
    parser.add_argument("--workers", type=int, default=WORKERS)
    options = parser.parse_args()
    print(json.dumps(main(tuple(options.silent), options.workers), indent=2, default=str))
