"""The live dashboard's stream: the events jobs publish for the user (app.events), relayed as server-sent events."""

from __future__ import annotations

import json
import logging
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

from flask import Response, current_app, request
from flask_login import current_user, login_required
from redis.client import PubSub
from redis.exceptions import RedisError

from app.dashboard.views import blueprint
from app.events import channel
from app.extensions import db, queues

log = logging.getLogger(__name__)

# A stream lives a few minutes, then ends; the browser's EventSource reconnects by itself.
STREAM_SECONDS = 300
# A comment line this often keeps proxies (Heroku's router drops a stream idle for 55 s) from closing it.
HEARTBEAT_SECONDS = 15
# Streams one web process holds at once: each ties up a gunicorn thread, and webhooks need the rest.
MAX_STREAMS = 4
# Streams one user holds in one process: two tabs, say; more would starve everyone else of slots.
STREAMS_PER_USER = 2
# How often a quiet stream looks whether the browser has hung up, so its slot is free within this time.
HANG_UP_CHECK_SECONDS = 1
RECONNECT_MILLISECONDS = 3000


class StreamSlots:
    """The open streams of one web process, counted in all and per user."""

    def __init__(self, limit: int, per_user: int):
        self.limit, self.per_user = limit, per_user
        self.held: Counter[int] = Counter()
        self.lock = threading.Lock()

    def take(self, user_id: int) -> bool:
        with self.lock:
            if self.held.total() >= self.limit or self.held[user_id] >= self.per_user:
                return False
            self.held[user_id] += 1
            return True

    def give_back(self, user_id: int) -> None:
        with self.lock:
            self.held[user_id] -= 1
            if self.held[user_id] <= 0:
                del self.held[user_id]


@blueprint.record_once
def _stream_slots(state) -> None:
    config = state.app.config
    state.app.extensions["live_stream_slots"] = StreamSlots(
        int(config.get("LIVE_MAX_STREAMS", MAX_STREAMS)), int(config.get("LIVE_STREAMS_PER_USER", STREAMS_PER_USER))
    )


def _hung_up(connection: socket.socket | None) -> bool:
    """True once the browser has closed its end: the socket reads as end-of-file (peeked, nothing consumed).

    Writing a heartbeat would find out too, but only a write or two after the fact, 15-30 s later.
    """
    if connection is None:
        return False
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except ValueError:  # a TLS socket takes no recv flags: leave it to the heartbeat
        return False
    except OSError:
        return True


@blueprint.get("/dashboard/events")
@login_required
def stream():
    """The user's events as text/event-stream, holding a Redis subscription and no database connection."""
    user_id = current_user.id
    config = current_app.config
    lifetime = float(config.get("LIVE_STREAM_SECONDS", STREAM_SECONDS))
    heartbeat = float(config.get("LIVE_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS))
    slots: StreamSlots = current_app.extensions["live_stream_slots"]
    # The client's socket, where the server exposes it (gunicorn, Werkzeug's server).
    connection = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    # Loading the user took a pooled connection; give it back before waiting minutes on Redis.
    db.session.remove()
    if not slots.take(user_id):
        # 204 tells EventSource not to reconnect; the page then refreshes itself on a slow timer.
        return Response(status=204)
    try:
        pubsub = queues.redis.pubsub()
        pubsub.subscribe(channel(user_id))
        # Read Redis's confirmation, so that once the browser sees the stream open no event is missed.
        pubsub.get_message(timeout=5)
    except RedisError as error:
        slots.give_back(user_id)
        log.warning("live stream for user %s refused: %s", user_id, type(error).__name__)
        return Response(status=204)

    def close() -> None:
        pubsub.close()
        slots.give_back(user_id)

    events = _events(pubsub, lifetime, heartbeat, lambda: _hung_up(connection))
    response = Response(events, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    # Proxies that buffer (nginx) would hold the events back.
    response.headers["X-Accel-Buffering"] = "no"
    response.call_on_close(close)
    return response


def _events(pubsub: PubSub, lifetime: float, heartbeat: float, hung_up: Callable[[], bool]) -> Iterator[str]:
    """Relay published events until the stream's lifetime is up or the browser hangs up; a comment line
    whenever it has been quiet."""
    yield f"retry: {RECONNECT_MILLISECONDS}\n: connected\n\n"
    started = last_sent = time.monotonic()
    while (now := time.monotonic()) - started < lifetime:
        wait = max(0.05, min(heartbeat - (now - last_sent), lifetime - (now - started), HANG_UP_CHECK_SECONDS))
        try:
            message = pubsub.get_message(timeout=wait)
        except RedisError:
            return
        if message is None and hung_up():
            return
        if message is not None and message["type"] == "message":
            data = message["data"].decode() if isinstance(message["data"], bytes) else message["data"]
            kind = json.loads(data).get("type", "update")
            yield f"event: {kind}\ndata: {data}\n\n"
            last_sent = time.monotonic()
        elif time.monotonic() - last_sent >= heartbeat:
            yield ": heartbeat\n\n"
            last_sent = time.monotonic()
