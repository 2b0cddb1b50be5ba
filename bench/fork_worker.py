"""The worker with a work horse forked per job (RQ's default, and ours before the no-fork worker), kept for the
latency benchmark's side-by-side figures: `python -m bench.fork_worker [--scheduler-seconds 0.1]`. Not used by the
service.

It is the shipped `AppWorker` (app/tasks/worker.py) with only what forking needs changed, so that the benchmark
measures the shutdown, heartbeat, sweep and scheduler code that ships: the job runs in a forked horse (RQ's
`Worker`), which opens its own database connections, and the shipped grace starts in the horse, where the job
runs. The scheduler looks every second unless told otherwise, RQ's interval, as the worker did before.
"""

import signal
import sys

from rq.worker import Worker

from app import create_app
from app.config import ConfigError
from app.extensions import db
from app.tasks.worker import AppWorker

RQ_SCHEDULER_SECONDS = 1.0


class ForkingWorker(AppWorker, Worker):
    """The shipped worker, each job run in a work horse forked for it."""

    def run_job(self, job, queue) -> None:
        # RQ's Worker forks the horse and waits for it, renewing the heartbeats from outside as it waits.
        Worker.execute_job(self, job, queue)

    def main_work_horse(self, job, queue):
        # The horse is forked: pooled connections inherited from the parent belong to the parent.
        db.engine.dispose(close=False)
        self.job_in_hand = True
        super().main_work_horse(job, queue)

    def setup_work_horse_signals(self):
        # Ctrl-C and SIGTERM are the parent's; it passes a warm shutdown on as SIGRTMIN, which starts the grace here.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGRTMIN, lambda _signum, _frame: self.start_grace())

    def handle_warm_shutdown_request(self):
        # In the parent: the job is in the horse's hand.
        if self.horse_pid:
            self.kill_horse(sig=signal.SIGRTMIN)


def main(burst: bool = False, scheduler_seconds: float = RQ_SCHEDULER_SECONDS) -> None:
    try:
        app = create_app()
    except ConfigError as error:
        sys.exit(f"Configuration error: {error}")
    with app.app_context():
        worker = ForkingWorker.for_app(app)
        worker.scheduler_look_seconds = scheduler_seconds
        worker.work(burst=burst, with_scheduler=True, logging_level=app.config["LOG_LEVEL"])


if __name__ == "__main__":
    arguments = sys.argv[1:]
    main(burst="--burst" in arguments,
         scheduler_seconds=float(arguments[arguments.index("--scheduler-seconds") + 1])
         if "--scheduler-seconds" in arguments else RQ_SCHEDULER_SECONDS)
