"""The worker entry point: `python worker.py` runs RQ jobs inside the app, with the scheduler on."""

import sys

from rq.worker import HerokuWorker

from app import create_app
from app.config import ConfigError
from app.extensions import QUEUE_NAMES, db, queues
from app.tasks.sweeps import schedule_sweeps

# RQ's scheduler lock outlives a SIGKILLed holder by 61 s, and an idle worker only tries to take
# it over between blocking dequeues (worker_ttl - 15 s) when its maintenance pass is due. Short
# values for both bound the stall of scheduled work (debounced syncs, sweeps, held texts) after a crash.
WORKER_TTL_SECONDS = 35
MAINTENANCE_SECONDS = 15


class AppWorker(HerokuWorker):
    """RQ's Heroku worker (a grace period on SIGTERM) whose work horses use their own DB connections."""

    def main_work_horse(self, job, queue):
        # The horse is forked: pooled connections inherited from the parent belong to the parent.
        db.engine.dispose(close=False)
        return super().main_work_horse(job, queue)


def main(burst: bool = False) -> None:
    try:
        app = create_app()
    except ConfigError as error:
        sys.exit(f"Configuration error: {error}")
    with app.app_context():
        schedule_sweeps()
        worker = AppWorker(
            [queues.queue(name) for name in QUEUE_NAMES], connection=queues.redis,
            worker_ttl=WORKER_TTL_SECONDS, maintenance_interval=MAINTENANCE_SECONDS, job_monitoring_interval=10,
            # RQ logs each job as "func(args)" at INFO; a reply's arguments are a phone number and its text.
            log_job_description=False,
        )
        worker.work(burst=burst, with_scheduler=True)


if __name__ == "__main__":
    main(burst="--burst" in sys.argv[1:])
