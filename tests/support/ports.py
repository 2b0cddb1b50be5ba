"""A free local port, for servers a test starts itself (its own Redis or PostgreSQL, the run command)."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
