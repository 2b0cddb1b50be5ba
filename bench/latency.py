"""Benchmark 3: push → text latency, with where the time goes, for both worker models side by side in one run.

Open loop: `rate` users a second have a tracker go low and sync; the emulator pushes to our gunicorn and we time
push → text submitted to the (emulated) Vonage, each platform and Vonage call taking L. Each case runs real
workers of one model: `worker.py` (jobs run in the worker's process, RQ's SimpleWorker) or `bench/fork_worker.py`
(the same worker class with a work horse forked per job, as the worker ran before).

    .venv/bin/python -m bench.pipeline latency [--latency-ms 100] [--rate 1.5] [--seconds 30] [--workers 1 4]
"""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from rq import Queue
from rq.job import Job
from rq.registry import FinishedJobRegistry
from sqlalchemy import event, select

from bench.common import PYTHON, machine, percentile, processes, save, wait_until
from bench.world import start_world

MODELS = {
    "no fork, scheduler 0.1 s (worker.py)": [PYTHON, "worker.py"],
    "fork per job, scheduler 0.1 s": [PYTHON, "-m", "bench.fork_worker", "--scheduler-seconds", "0.1"],
    "fork per job, scheduler 1 s (before)": [PYTHON, "-m", "bench.fork_worker"],
}
# Push → text, cut where a timestamp is recorded; the parts add up to the whole.
PARTS = ("push_to_webhook", "debounce_as_scheduled", "scheduler_delay", "sync_queue_wait",
         "sync_start_to_text_queued", "text_queue_wait", "text_run_to_submitted")


def _utc(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def latency(latency_ms: int = 100, rate: float = 1.5, seconds: float = 30, worker_counts: tuple[int, ...] = (1, 4)) -> dict:
    result: dict = {"machine": machine(), "latency_ms": latency_ms, "rate_per_s": rate, "seconds": seconds, "cases": []}
    with processes() as started:
        env, world = start_world(started)
        result["sync_debounce_s"] = debounce = float(env.get("SYNC_DEBOUNCE_SECONDS", 2))
        serial = 0
        # Models side by side for each worker count, so that other load on the machine falls on both alike.
        for workers in worker_counts:
            for model, command in MODELS.items():
                people = [world.connect_person(serial + index, 80) for index in range(int(rate * seconds))]
                serial += len(people)
                case = one_case(started, env, world, command, workers, people, latency_ms, rate, debounce)
                result["cases"].append({"model": model, **case})
                print(f"{model}, {workers} workers: p50 {case['p50_s']} s, p99 {case['p99_s']} s", flush=True)
        save("end_to_end", result)
        result["per_job_costs_ms"] = per_job_costs(env, world, latency_ms)
    save("end_to_end", result)
    return result


def one_case(started, env, world, command, workers, people, latency_ms, rate, debounce) -> dict:

    world.control("POST", "/faults", google={"latency_ms": 0}, vonage={"latency_ms": 0})
    for person in people:
        world.control("PATCH", f"/people/{person['id']}/devices/{person['device_id']}", battery_level=10)
    world.control("POST", "/faults", google={"latency_ms": latency_ms}, vonage={"latency_ms": latency_ms})
    load_before = os.getloadavg()[0]
    running = [started.spawn(command, env, f"latency-worker-{workers}-{index}") for index in range(workers)]
    time.sleep(3)  # let the workers register and their scheduler start
    cpu_before = sum(cpu_seconds(process.pid) for process in running)
    pushed_at: dict[str, float] = {}

    def push(person):
        pushed_at[person["health_user_id"]] = time.time()
        world.control("POST", f"/people/{person['id']}/sync", platform="google", duplicates=1)

    began = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        for index, person in enumerate(people):
            delay = began + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(push, person)
    owners = {person["user_id"]: person["health_user_id"] for person in people}
    rows = wait_until(lambda: submitted_texts(owners), 180, 0.25, "every text to be submitted")
    # The workers' CPU, their reaped work horses' included (not the scheduler's), per job: a sync and a text per push.
    cpu_per_job = (sum(cpu_seconds(process.pid) for process in running) - cpu_before) / (2 * len(rows))
    for process in running:
        started.stop(process)
    syncs = finished_jobs("default", lambda job: job.func_name.endswith("sync_platform_user"), lambda job: job.args[1])
    texts = finished_jobs("texts", lambda job: bool(job.args), lambda job: job.args[0])
    totals, parts = [], {name: [] for name in PARTS}
    for message_id, user_id, submitted in rows:
        pushed = pushed_at[owners[user_id]]
        totals.append(submitted - pushed)
        sync, text = syncs.get(owners[user_id]), texts.get(message_id)
        if sync is None or text is None:
            continue
        created = _utc(sync.created_at)
        due = math.floor(created + debounce)  # the claim scores the scheduled job in whole seconds, as RQ does
        marks = [pushed, created, due, _utc(sync.enqueued_at), _utc(sync.started_at), _utc(text.enqueued_at),
                 _utc(text.started_at), submitted]
        for name, begin, end in zip(PARTS, marks[:-1], marks[1:], strict=True):
            parts[name].append(end - begin)
    floor = 2 * latency_ms / 1000
    p50, p99 = percentile(totals, 0.5), percentile(totals, 0.99)
    after_due = [sum(values) for values in zip(*(parts[name] for name in PARTS[2:]), strict=True)]
    return {
        "workers": workers, "texts": len(rows), "p50_s": round(p50, 3), "p99_s": round(p99, 3),
        "target_p50_s": round(debounce + 1.3 * floor, 3), "met": p50 <= debounce + 1.3 * floor,
        "ratio_p50_minus_debounce_to_2L": round((p50 - debounce) / floor, 2),
        # What the worker side adds once the sync is due, the debounce RQ's whole-second scores shorten left out.
        "after_due_p50_s": round(percentile(after_due, 0.5), 3),
        "ratio_after_due_p50_to_2L": round(percentile(after_due, 0.5) / floor, 2),
        "breakdown_p50_s": {name: round(percentile(values, 0.5), 3) for name, values in parts.items()},
        "breakdown_p99_s": {name: round(percentile(values, 0.99), 3) for name, values in parts.items()},
        "jobs_matched": len(after_due),
        "worker_cpu_ms_per_job": round(cpu_per_job * 1000, 1),
        # Other work on the machine shows here: 2 cores shared with the emulator, gunicorn, PostgreSQL and Redis.
        "load_average_1m_before": round(load_before, 1), "load_average_1m_after": round(os.getloadavg()[0], 1),
    }


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and of its children it has reaped, from /proc/<pid>/stat."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def submitted_texts(owners: dict[int, str]) -> list[tuple[int, int, float]] | None:
    from app.extensions import db
    from app.models import OutgoingMessage

    db.session.expire_all()
    rows = db.session.execute(select(OutgoingMessage.id, OutgoingMessage.user_id, OutgoingMessage.submitted_at).where(
        OutgoingMessage.user_id.in_(owners), OutgoingMessage.kind == "low",
        OutgoingMessage.submitted_at.is_not(None))).all()
    db.session.rollback()
    return [(row.id, row.user_id, _utc(row.submitted_at)) for row in rows] if len(rows) == len(owners) else None


def finished_jobs(queue: str, wanted, key) -> dict:
    from app.extensions import queues

    registry = FinishedJobRegistry(queue=Queue(queue, connection=queues.redis))
    jobs = Job.fetch_many(registry.get_job_ids(), connection=queues.redis)
    return {key(job): job for job in jobs if job is not None and wanted(job)}


def per_job_costs(env: dict[str, str], world, latency_ms: int, runs: int = 15) -> dict:
    """What a forked work horse pays per job before its code runs, and what a sync and a text do in the database,
    measured in this process (the app loaded, as in a worker) on the same machine."""
    import psycopg
    import redis

    from app import create_app
    from app.extensions import db, queues
    from app.tasks.delivery import deliver_text
    from app.tasks.sync import sync_platform_user

    def median_ms(action) -> float:
        spent = []
        for _ in range(runs):
            began = time.perf_counter()
            action()
            spent.append(time.perf_counter() - began)
        return round(percentile(spent, 0.5) * 1000, 2)

    def fork() -> None:
        child = os.fork()
        if child == 0:
            os._exit(0)
        os.waitpid(child, 0)

    costs = {
        "fork_and_reap": median_ms(fork),
        "new_postgres_connection": median_ms(lambda: psycopg.connect(env["DATABASE_URL"]).close()),
        "new_redis_connection": median_ms(lambda: redis.Redis.from_url(env["REDIS_URL"]).ping()),
        "create_app (once per worker process in both models)": median_ms(lambda: create_app(environ=env)),
    }
    queries = {"n": 0, "seconds": 0.0}

    @event.listens_for(db.engine, "before_cursor_execute")
    def before(connection, *_):
        connection.info["began"] = time.perf_counter()

    @event.listens_for(db.engine, "after_cursor_execute")
    def after(connection, *_):
        queries["n"] += 1
        queries["seconds"] += time.perf_counter() - connection.info["began"]

    world.control("POST", "/faults", google={"latency_ms": latency_ms}, vonage={"latency_ms": latency_ms})
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = env["OAUTHLIB_INSECURE_TRANSPORT"]  # the emulator is plain http

    def in_a_fresh_fork(action) -> float:
        """The job's body as a work horse runs it: forked from a process that has run no job yet."""
        read, write = os.pipe()
        child = os.fork()
        if child == 0:
            spent = float("nan")
            try:
                db.engine.dispose(close=False)  # as the horse did: its own database connections
                began = time.perf_counter()
                action()
                spent = time.perf_counter() - began
            finally:
                os.write(write, repr(spent).encode())
                os._exit(0)
        os.close(write)
        spent = float(os.read(read, 64) or b"nan")
        os.waitpid(child, 0)
        os.close(read)
        return spent

    # Cold first (this process must not have run a job yet), then warm, as the no-fork worker runs them.
    people = [world.connect_person(9000 + serial, 10) for serial in range(runs)]
    cold_syncs = [in_a_fresh_fork(lambda p=person: sync_platform_user("google", p["health_user_id"], None))
                  for person in people]
    texts = Queue("texts", connection=queues.redis)
    cold_texts = [in_a_fresh_fork(lambda j=job: j.func(*j.args, **j.kwargs))
                  for job in Job.fetch_many(texts.get_job_ids(), connection=queues.redis) if job is not None]
    texts.empty()  # sent: the warm runs below take the texts of their own syncs
    costs["sync_job_in_a_fresh_fork (the job body only)"] = round(percentile(cold_syncs, 0.5) * 1000, 1)
    costs["text_job_in_a_fresh_fork (the job body only)"] = round(percentile(cold_texts, 0.5) * 1000, 1)
    for kind in ("sync", "text"):
        spent, counts, in_db = [], [], []
        for serial in range(runs if kind == "sync" else 0):
            person = world.connect_person(9500 + serial, 10)
            queries.update(n=0, seconds=0.0)
            began = time.perf_counter()
            sync_platform_user("google", person["health_user_id"], None)
            spent.append(time.perf_counter() - began)
            counts.append(queries["n"])
            in_db.append(queries["seconds"])
            db.session.remove()
        if kind == "text":
            texts = Queue("texts", connection=queues.redis)
            for job in Job.fetch_many(texts.get_job_ids(), connection=queues.redis):
                if job is None or job.func is not deliver_text:
                    continue
                queries.update(n=0, seconds=0.0)
                began = time.perf_counter()
                job.func(*job.args, **job.kwargs)
                spent.append(time.perf_counter() - began)
                counts.append(queries["n"])
                in_db.append(queries["seconds"])
                db.session.remove()
        costs[f"{kind}_job_in_process"] = round(percentile(spent, 0.5) * 1000, 1)
        costs[f"{kind}_job_sql_queries"] = percentile(counts, 0.5)
        costs[f"{kind}_job_time_in_sql"] = round(percentile(in_db, 0.5) * 1000, 1)
    event.remove(db.engine, "before_cursor_execute", before)
    event.remove(db.engine, "after_cursor_execute", after)
    return costs
