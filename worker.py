"""The worker entry point: `python worker.py` runs RQ jobs inside the app, with the scheduler on.

The worker itself, its shutdown, heartbeats and scheduler, is `app.tasks.worker.AppWorker`.
"""

import sys

from app import create_app
from app.config import ConfigError
from app.extensions import QUEUE_NAMES, queues
from app.tasks.worker import MAINTENANCE_SECONDS, MONITOR_SECONDS, WORKER_TTL_SECONDS, AppWorker


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
        worker.imminent_shutdown_delay = int(app.config["JOB_GRACE_SECONDS"])
        # The first maintenance pass, at start, schedules the sweep if none is coming.
        worker.work(burst=burst, with_scheduler=True, logging_level=app.config["LOG_LEVEL"])


if __name__ == "__main__":
    main(burst="--burst" in sys.argv[1:])
