"""Real worker processes: `python worker.py` started, killed and stopped the way the platform does."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

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
        """SIGKILL to every process of the dyno, the work horse included, as a crashed or OOM-killed dyno."""
        self._signal_dyno(signal.SIGKILL)
        self.process.wait()

    def dyno(self) -> list[int]:
        """Every process of this worker's dyno: the worker (which runs the jobs) and its scheduler. The
        scheduler is a child of the worker, in the session the test started."""
        return [pid for pid, _parent, _group, session in process_table() if session == self.process.pid]

    def kill_job_process(self) -> None:
        """SIGKILL to the process that runs the jobs, the worker itself (there is no work horse), as the kernel's
        OOM killer picks the largest process: the scheduler it started lives on."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def terminate(self) -> None:
        """SIGTERM to every process of the dyno, as the platform does on a restart or a deploy."""
        self._signal_dyno(signal.SIGTERM)

    def _signal_dyno(self, signum: int) -> None:
        for pid in self.dyno():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def stop(self) -> None:
        """As the platform stops a dyno: SIGTERM to all of it, SIGKILL what is left after the grace. A dyno whose
        worker was killed may still hold its scheduler: that is stopped too."""
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.dyno():
            self._signal_dyno(signal.SIGKILL)
        self.log.close()


def process_table() -> list[tuple[int, int, int, int]]:
    """(pid, parent pid, process group, session) of every process on the machine, from /proc."""
    table = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended while we looked
            continue
        # The command name in brackets may hold spaces; the fields after it are state, ppid, pgrp, session.
        _state, parent, group, session = stat.rsplit(")", 1)[1].split()[:4]
        table.append((int(entry.name), int(parent), int(group), int(session)))
    return table
