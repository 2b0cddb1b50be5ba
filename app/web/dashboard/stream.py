"""The live dashboard's stream: the events jobs publish for the user (app.adapters.events), heard by the process's one
listener (app.web.dashboard.listener) and relayed as server-sent events."""

from __future__ import annotations

import json
import logging
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from queue import Empty
from typing import cast

from flask import Response, current_app, request
from flask_login import current_user, login_required

from app.extensions import db
from app.web.dashboard.listener import HEARD_AGAIN, Listener, Subscriber
from app.web.dashboard.views import blueprint

log = logging.getLogger(__name__)

# A stream lives a few minutes, then ends; the browser's EventSource reconnects by itself.
STREAM_SECONDS = 300
# A comment line this often keeps proxies (Heroku's router drops a stream idle for 55 s) from closing it.
HEARTBEAT_SECONDS = 15
# Streams one user holds in one process: two tabs, say; more would starve everyone else of slots.
STREAMS_PER_USER = 2
# How often a quiet stream looks whether the browser has hung up, so its slot is free within this time.
HANG_UP_CHECK_SECONDS = 1
RECONNECT_MILLISECONDS = 3000
# How long a new stream waits to be heard before it tells the browser it is open; Redis down, it opens anyway
# and says "resync" once heard.
HEARD_WITHIN_SECONDS = 2


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
def _live_streams(state) -> None:
    config, extensions = state.app.config, state.app.extensions
    extensions["live_stream_slots"] = StreamSlots(
        # Each stream ties up a gunicorn thread: app.config derives the cap from the thread count, so that
        # webhooks always keep theirs.
        int(config["LIVE_MAX_STREAMS"]), int(config.get("LIVE_STREAMS_PER_USER", STREAMS_PER_USER))
    )
    extensions["live_listener"] = Listener(extensions["redis"])


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
    """The user's events as text/event-stream, holding a gunicorn thread but no Redis or database connection."""
    user_id = current_user.id
    config = current_app.config
    lifetime = float(config.get("LIVE_STREAM_SECONDS", STREAM_SECONDS))
    heartbeat = float(config.get("LIVE_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS))
    slots: StreamSlots = current_app.extensions["live_stream_slots"]
    listener: Listener = current_app.extensions["live_listener"]
    # The client's socket, where the server exposes it (gunicorn, Werkzeug's server).
    connection = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    # Loading the user took a pooled connection; give it back before waiting minutes for events.
    db.session.remove()
    if not slots.take(user_id):
        # 204 tells EventSource not to reconnect; the page then refreshes itself on a slow timer.
        return Response(status=204)
    subscriber = listener.join(user_id)
    # Once the browser sees the stream open it fetches the page's parts: an event published after that must
    # reach it, so wait until Redis hears the user's channel (at once when another tab of theirs is open).
    if not subscriber.heard.wait(HEARD_WITHIN_SECONDS):
        log.warning("live stream for user %s opened before Redis heard it", user_id)
    listener.open(subscriber)

    def close() -> None:
        listener.leave(subscriber)
        slots.give_back(user_id)

    events = _events(subscriber, lifetime, heartbeat, lambda: _hung_up(connection))
    response = Response(events, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    # Proxies that buffer (nginx) would hold the events back.
    response.headers["X-Accel-Buffering"] = "no"
    response.call_on_close(close)
    return response


def _events(subscriber: Subscriber, lifetime: float, heartbeat: float, hung_up: Callable[[], bool]) -> Iterator[str]:
    """Relay the user's events until the stream's lifetime is up or the browser hangs up; a comment line
    whenever it has been quiet, and "resync" when events may have been lost while Redis was away."""
    yield f"retry: {RECONNECT_MILLISECONDS}\n: connected\n\n"
    started = last_sent = time.monotonic()
    while (now := time.monotonic()) - started < lifetime:
        wait = max(0.05, min(heartbeat - (now - last_sent), lifetime - (now - started), HANG_UP_CHECK_SECONDS))
        try:
            event = subscriber.inbox.get(timeout=wait)
        except Empty:
            if hung_up():
                return
            if time.monotonic() - last_sent >= heartbeat:
                yield ": heartbeat\n\n"
                last_sent = time.monotonic()
            continue
        if event is HEARD_AGAIN:
            yield "event: resync\ndata: {}\n\n"
        else:
            kind = json.loads(cast(str, event)).get("type", "update")  # the inbox holds JSON text or HEARD_AGAIN
            yield f"event: {kind}\ndata: {event}\n\n"
        last_sent = time.monotonic()
