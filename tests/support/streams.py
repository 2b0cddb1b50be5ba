"""Live dashboard streams opened through the app's test client, read as the browser's EventSource would."""

from __future__ import annotations

import json
import time

from flask import g


def open_stream(client):
    g.pop("_login_user", None)  # Flask-Login keeps the last user in the test's app context
    return client.get("/dashboard/events", buffered=False)


def events_until(stream, last: str = "heartbeat", seconds: float = 10) -> list[tuple[str, dict]]:
    """The events a stream sends, as (kind, data), until its first heartbeat (nothing more was waiting) or,
    with `last`, up to and including the first event of that kind."""
    found, buffer, deadline = [], "", time.monotonic() + seconds
    for chunk in stream.response:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            if block == ": heartbeat" and last == "heartbeat":
                return found
            if block.startswith("event: "):
                kind, data = block.split("\n")
                found.append((kind.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
                if kind == f"event: {last}":
                    return found
        assert time.monotonic() < deadline, f"no {last} came"
    return found
