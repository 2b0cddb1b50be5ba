"""The worker class `python worker.py` runs: RQ jobs inside the app, with the scheduler on.

Jobs run in the worker's own process, one after another (RQ's SimpleWorker): no process forked per job, and the
database and Redis connections stay open from one job to the next. Forking a work horse per job (RQ's default,
kept as `bench/fork_worker.py` for the benchmark) cost about 0.1 s a job on the critical path of a push's text
(fork, a new database and Redis connection, docs/benchmarks.md "End to end").
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask
from rq.exceptions import ShutDownImminentException
from rq.job import JobStatus
from rq.scheduler import RQScheduler
from rq.worker import BaseWorker, SimpleWorker, WorkerStatus

from app.extensions import QUEUE_NAMES, db, queues
from app.tasks.sweeps import is_sweep, resume_lost_sweep

# RQ's scheduler lock outlives a SIGKILLed holder by 61 s (less here: SCHEDULER_GONE_AFTER_SECONDS), and an
# idle worker only tries to take it over between blocking dequeues (worker_ttl - 15 s) when its maintenance
# pass is due. Short values for both bound the stall of scheduled work (debounced syncs, sweeps, held texts)
# after a crash.
WORKER_TTL_SECONDS = 35
MAINTENANCE_SECONDS = 15
# How often a busy worker renews its job's heartbeat; three missed ones mean the worker died with the job (its
# process runs the jobs), and a worker's maintenance pass then takes over what the job left (the sweep).
MONITOR_SECONDS = 5
WORKER_GONE_AFTER = timedelta(seconds=3 * MONITOR_SECONDS)
# How often the scheduler moves due jobs (a debounced sync, a retry, a held text) to their queue. RQ's default
# is 1 s, which added up to a second to every push's text; a look costs the scheduler four Redis round trips.
SCHEDULER_SECONDS = 0.1

# A scheduler renews its lock every second (RQ's and ours alike); one not renewed for this long belongs to a
# scheduler that died (a SIGKILLed dyno) and is taken over, instead of holding scheduled work for 61 s.
SCHEDULER_GONE_AFTER_SECONDS = 10
# KEYS: the lock; ARGV: the TTL below which its holder has missed SCHEDULER_GONE_AFTER_SECONDS of renewals.
_RELEASE_IF_NOT_RENEWED = """
local ttl = redis.call('TTL', KEYS[1])
if ttl >= 0 and ttl < tonumber(ARGV[1]) then return redis.call('DEL', KEYS[1]) end
return 0
"""


class FrequentScheduler(RQScheduler):
    """RQ's scheduler, looking for due jobs every `look_seconds`. Its locks and heartbeat keep RQ's whole-second
    interval (their TTLs are `interval + 60` seconds, and Redis takes whole seconds)."""

    look_seconds = SCHEDULER_SECONDS

    def work(self):
        self._install_signal_handlers()
        self.register_birth()
        beaten = 0.0
        while not self._stop_requested:
            if self.should_reacquire_locks:
                self.acquire_locks()
            if time.monotonic() - beaten >= self.interval:
                self.heartbeat()
                beaten = time.monotonic()
            self.enqueue_scheduled_jobs()
            time.sleep(self.look_seconds)
        self.stop()

    def release_dead_holders_locks(self) -> None:
        """Drop the lock of each queue whose holder stopped renewing it, so that this scheduler can take it."""
        full_ttl = self.interval + 60
        for name in self._queue_names:
            released = self.connection.eval(_RELEASE_IF_NOT_RENEWED, 1, self.get_locking_key(name),
                                            full_ttl - SCHEDULER_GONE_AFTER_SECONDS)
            if released:
                self.log.warning("Scheduler lock for %s was not renewed for %d s: its holder is gone; taking it over",
                                 name, SCHEDULER_GONE_AFTER_SECONDS)


class AppWorker(SimpleWorker):
    """RQ's SimpleWorker, with the platform's shutdown, heartbeats while a job runs, and the sweep kept going.

    On SIGTERM (the platform sends it to every process of the dyno, maybe more than once, and SIGKILLs them
    30 s later) the job in hand gets `imminent_shutdown_delay` seconds (JOB_GRACE_SECONDS) to finish; if it
    has not, it is interrupted and put back at the front of its queue instead of being failed. A job's
    timeout still stops it (RQ's SIGALRM). Each job starts with a fresh database session. Every maintenance
    pass, and the end of every sweep however it ended, makes sure a sweep is coming.
    """

    interrupted_by_shutdown = False
    job_in_hand = False
    scheduler_look_seconds = SCHEDULER_SECONDS
    # Set by for_app() from JOB_GRACE_SECONDS; the scheduler is always ours (_start_scheduler).
    imminent_shutdown_delay: int
    scheduler: FrequentScheduler | None

    @classmethod
    def for_app(cls, app: Flask) -> AppWorker:
        """The worker `python worker.py` runs, inside the app's context: every queue, the intervals above, the
        app's JOB_GRACE_SECONDS."""
        worker = cls(
            [queues.queue(name) for name in QUEUE_NAMES], connection=queues.redis,
            worker_ttl=WORKER_TTL_SECONDS, maintenance_interval=MAINTENANCE_SECONDS,
            job_monitoring_interval=MONITOR_SECONDS,
            # RQ logs each job as "func(args)" at INFO; a reply's arguments are a phone number and its text.
            log_job_description=False,
        )
        worker.imminent_shutdown_delay = int(app.config["JOB_GRACE_SECONDS"])
        return worker

    def _start_scheduler(self, burst=False, logging_level="INFO", date_format=None, log_format=None):
        # As RQ's own, with a shorter look interval (RQ's takes no interval).
        self.scheduler = FrequentScheduler(
            self.queues, connection=self.connection, serializer=self.serializer,
            logging_level=logging_level if logging_level is not None else self.log.level)
        self.scheduler.look_seconds = self.scheduler_look_seconds
        self.scheduler.release_dead_holders_locks()
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
                    self.scheduler.register_death()
            else:
                self.scheduler.start()

    def run_maintenance_tasks(self):
        if self.scheduler and not (self.scheduler._process and self.scheduler._process.is_alive()):
            self.scheduler.release_dead_holders_locks()
        super().run_maintenance_tasks()
        resume_lost_sweep(alive_within=WORKER_GONE_AFTER)

    def execute_job(self, job, queue):
        self.run_job(job, queue)
        if is_sweep(job.id):
            # A sweep cut short never ran its `finally`: see to its successor now, not a pass later.
            resume_lost_sweep(alive_within=WORKER_GONE_AFTER)

    def run_job(self, job, queue) -> None:
        """Run the job here, in the worker's own process, its heartbeats kept by a thread beside it."""
        self.job_in_hand = True
        try:
            with self.heartbeats_while_running(job):
                super().execute_job(job, queue)
        finally:
            self.job_in_hand = False
            # The next job must not see this one's objects or an unfinished transaction.
            db.session.remove()

    @contextmanager
    def heartbeats_while_running(self, job) -> Iterator[None]:
        """Renew the worker's and the job's heartbeats every MONITOR_SECONDS while the job runs, as RQ's forking
        worker does from outside the horse: a long sweep is not taken for one whose worker died."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.job_monitoring_interval):
                try:
                    self.maintain_heartbeats(job)
                except Exception:  # a missed beat is retried next time; Redis trouble shows in the job itself
                    self.log.warning("Worker %s: heartbeat for job %s failed", self.name, job.id, exc_info=True)

        beater = threading.Thread(target=beat, name="job-heartbeat", daemon=True)
        beater.start()
        try:
            yield
        finally:
            done.set()
            beater.join()

    def get_heartbeat_ttl(self, job):
        # SimpleWorker's is the job's whole timeout + 60 s, as nothing renews it; the thread above does, so a job
        # whose worker was killed leaves RQ's started registry after MONITOR_SECONDS + 60 s, not minutes later.
        return BaseWorker.get_heartbeat_ttl(self, job)

    def handle_warm_shutdown_request(self):
        # The job runs in this process: it keeps running, and SIGRTMIN cuts it short once the grace is over.
        if self.get_state() == WorkerStatus.BUSY:
            self.start_grace()

    def start_grace(self) -> None:
        """Give the job in hand `imminent_shutdown_delay` seconds, then cut it short (SIGRTMIN, `interrupt_job`)."""
        self.log.warning("Worker %s: Imminent shutdown: the job in hand has %d seconds to finish", self.name,
                         self.imminent_shutdown_delay)
        signal.signal(signal.SIGRTMIN, self.interrupt_job)
        timer = threading.Timer(self.imminent_shutdown_delay, signal.raise_signal, (signal.SIGRTMIN,))
        timer.daemon = True
        timer.start()

    def interrupt_job(self, signum, frame):
        """The grace is over: the job is cut short here and put back on its queue below."""
        if self.job_in_hand and not self.interrupted_by_shutdown:
            self.interrupted_by_shutdown = True
            raise ShutDownImminentException("shut down imminent: the grace is over", {})

    def request_force_stop(self, signum, frame):
        # RQ takes a second SIGTERM as "stop now"; from the platform it is only a repeat.
        if signum == signal.SIGTERM:
            self.log.info("Worker %s: already stopping after the current job", self.name)
            return
        # A second Ctrl-C (SIGINT) stops at once: the job in hand goes back on its queue.
        if self.job_in_hand and not self.interrupted_by_shutdown:
            self.interrupted_by_shutdown = True
            raise ShutDownImminentException("shut down imminent: stopped at once", {})
        super().request_force_stop(signum, frame)

    def handle_exception(self, job, *exc_info):
        if not self.interrupted_by_shutdown:
            super().handle_exception(job, *exc_info)

    def handle_job_failure(self, job, queue, started_job_registry=None, exc_string=""):
        if not self.interrupted_by_shutdown:
            return super().handle_job_failure(job, queue, started_job_registry, exc_string)
        # Jobs are safe to run again from the start (pushes repeat; texts are claimed before they are sent).
        with self.connection.pipeline() as pipeline:
            self.cleanup_execution(job, pipeline=pipeline)
            job.set_status(JobStatus.QUEUED, pipeline=pipeline)
            queue.push_job_id(job.id, pipeline=pipeline, at_front=True)
            pipeline.execute()
        self.log.warning("Worker %s: job %s did not finish before shutdown; put back on %s", self.name, job.id,
                         queue.name)
        self._stop_requested = True
        return None
