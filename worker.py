"""The worker entry point: `python worker.py` runs RQ jobs inside the app, with the scheduler on."""

import sys
from datetime import timedelta

from rq.worker import HerokuWorker

from app import create_app
from app.config import ConfigError
from app.extensions import QUEUE_NAMES, db, queues
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
    """RQ's Heroku worker (a grace period on SIGTERM) whose work horses use their own DB connections, and
    whose every maintenance pass, and the end of every sweep however it ended, makes sure a sweep is coming."""

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


def main(burst: bool = False) -> None:
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
        # The first maintenance pass, at start, schedules the sweep if none is coming.
        worker.work(burst=burst, with_scheduler=True)


if __name__ == "__main__":
    main(burst="--burst" in sys.argv[1:])
