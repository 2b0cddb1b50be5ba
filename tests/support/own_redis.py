"""A redis-server of the test's own, to stop and start again while the app runs (an outage, a restart)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from redis import Redis

from local_servers import free_port, redis_server_binary
from tests.support.polling import wait_until


class OwnRedis:
    """A redis-server of the test's own that keeps its data across a restart, as a managed Redis does."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )
        client = Redis.from_url(self.url)
        wait_until(lambda: _answers(client), what="our redis-server")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _answers(client: Redis) -> bool:
    try:
        return client.ping()
    except Exception:  # noqa: BLE001 - not up yet
        return False
