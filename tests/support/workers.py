"""Real worker processes: `python worker.py` started, killed and stopped the way the platform does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile

from rq import Worker

from app.extensions import queues
from tests.support.paths import ROOT
from tests.support.polling import wait_until


class WorkerProcess:
    """`python worker.py`, exactly as the Procfile starts it, as a child of the test."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.process: subprocess.Popen | None = None
        # A file, not a pipe: nobody reads a pipe while the test runs, and a worker logging failures (a
        # database outage, say) would fill it and block on its next log line.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop(), it outlives this method

    def output(self) -> str:
        """Everything the worker has logged so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def start(self) -> WorkerProcess:
        before = {worker.name for worker in Worker.all(connection=queues.redis)}
        self.process = subprocess.Popen(
            [sys.executable, "worker.py"], cwd=ROOT, env=self.env, start_new_session=True,
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        wait_until(
            lambda: {w.name for w in Worker.all(connection=queues.redis)} - before or self.process.poll() is not None,
            what="the worker to register",
        )
        assert self.process.poll() is None, self.output()
        return self

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
