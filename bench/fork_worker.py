"""The worker as it was before the no-fork worker (RQ's HerokuWorker, a work horse forked per job), kept for the
latency benchmark's side-by-side figures: `python -m bench.fork_worker`. Not used by the service."""

import signal
import sys
from datetime import timedelta

from rq.job import JobStatus
from rq.worker import HerokuWorker

from app import create_app
from app.config import ConfigError
from app.extensions import QUEUE_NAMES, db, queues
from app.tasks import worker as service_worker
from app.tasks.sweeps import is_sweep, resume_lost_sweep

# RQ's scheduler lock outlives a SIGKILLed holder by 61 s, and an idle worker only tries to take
# it over between blocking dequeues (worker_ttl - 15 s) when its maintenance pass is due. Short
# values for both bound the stall of scheduled work (debounced syncs, sweeps, held texts) after a crash.
WORKER_TTL_SECONDS = 35
MAINTENANCE_SECONDS = 15
# How often a busy worker renews its job's heartbeat; three missed ones mean the worker died with the job.
MONITOR_SECONDS = 10
WORKER_GONE_AFTER = timedelta(seconds=3 * MONITOR_SECONDS)


class AppWorker(HerokuWorker):
    """RQ's Heroku worker, with three changes.

    On SIGTERM (the platform sends it to every process of the dyno, maybe more than once, and SIGKILLs them
    30 s later) the job in hand gets `imminent_shutdown_delay` seconds (JOB_GRACE_SECONDS) to finish; if it
    has not, it is interrupted and put back at the front of its queue instead of being failed. Work horses
    use their own database connections. Every maintenance pass, and the end of every sweep however it ended,
    makes sure a sweep is coming.
    """

    interrupted_by_shutdown = False

    def main_work_horse(self, job, queue):
        # The horse is forked: pooled connections inherited from the parent belong to the parent.
        db.engine.dispose(close=False)
        return super().main_work_horse(job, queue)

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        resume_lost_sweep(alive_within=WORKER_GONE_AFTER)

    def execute_job(self, job, queue):
        super().execute_job(job, queue)
        if is_sweep(job.id):
            # A horse killed mid-sweep never ran the sweep's `finally`: see to its successor now, not a pass later.
            resume_lost_sweep(alive_within=WORKER_GONE_AFTER)

    def request_force_stop(self, signum, frame):
        # RQ takes a second SIGTERM as "stop now" and kills the horse; from the platform it is only a repeat.
        # A second Ctrl-C (SIGINT) still stops at once.
        if signum == signal.SIGTERM:
            self.log.info("Worker %s: already stopping after the current job", self.name)
            return
        super().request_force_stop(signum, frame)

    def request_force_stop_sigrtmin(self, signum, frame):
        # In the horse: the grace is over. The job is cut short here and put back on its queue below.
        self.interrupted_by_shutdown = True
        super().request_force_stop_sigrtmin(signum, frame)

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
        return None


def main(burst: bool = False, scheduler_seconds: float | None = None) -> None:
    try:
        app = create_app()
    except ConfigError as error:
        sys.exit(f"Configuration error: {error}")
    with app.app_context():
        worker = AppWorker(
            [queues.queue(name) for name in QUEUE_NAMES], connection=queues.redis,
            worker_ttl=WORKER_TTL_SECONDS, maintenance_interval=MAINTENANCE_SECONDS,
            job_monitoring_interval=MONITOR_SECONDS,
            # RQ logs each job as "func(args)" at INFO; a reply's arguments are a phone number and its text.
            log_job_description=False,
        )
        worker.imminent_shutdown_delay = int(app.config["JOB_GRACE_SECONDS"])
        if scheduler_seconds is not None:
            # The service's scheduler (worker.py), so that the two models differ only in how a job is run.
            service_worker.SCHEDULER_SECONDS = scheduler_seconds
            worker._start_scheduler = service_worker.AppWorker._start_scheduler.__get__(worker)
        # The first maintenance pass, at start, schedules the sweep if none is coming.
        worker.work(burst=burst, with_scheduler=True, logging_level=app.config["LOG_LEVEL"])


if __name__ == "__main__":
    arguments = sys.argv[1:]
    main(burst="--burst" in arguments,
         scheduler_seconds=float(arguments[arguments.index("--scheduler-seconds") + 1])
         if "--scheduler-seconds" in arguments else None)
