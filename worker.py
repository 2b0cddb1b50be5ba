"""The worker entry point: `python worker.py` runs RQ jobs inside the app, with the scheduler on.

The worker itself, its shutdown, heartbeats and scheduler, is `app.tasks.worker.AppWorker`.
"""

import sys

from app import create_app
from app.config import ConfigError
from app.tasks.worker import AppWorker


def main(burst: bool = False) -> None:
    try:
        app = create_app()
    except ConfigError as error:
        sys.exit(f"Configuration error: {error}")
    with app.app_context():
        # The first maintenance pass, at start, schedules the sweep if none is coming.
        AppWorker.for_app(app).work(burst=burst, with_scheduler=True, logging_level=app.config["LOG_LEVEL"])


if __name__ == "__main__":
    main(burst="--burst" in sys.argv[1:])
