"""The live dashboard's stream: the events jobs publish for the user (app.events), relayed as server-sent events."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator

from flask import Response, current_app
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
RECONNECT_MILLISECONDS = 3000


@blueprint.record_once
def _stream_slots(state) -> None:
    limit = int(state.app.config.get("LIVE_MAX_STREAMS", MAX_STREAMS))
    state.app.extensions["live_stream_slots"] = threading.BoundedSemaphore(limit)


@blueprint.get("/dashboard/events")
@login_required
def stream():
    """The user's events as text/event-stream, holding a Redis subscription and no database connection."""
    user_id = current_user.id
    config = current_app.config
    lifetime = float(config.get("LIVE_STREAM_SECONDS", STREAM_SECONDS))
    heartbeat = float(config.get("LIVE_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS))
    slots: threading.BoundedSemaphore = current_app.extensions["live_stream_slots"]
    # Loading the user took a pooled connection; give it back before waiting minutes on Redis.
    db.session.remove()
    if not slots.acquire(blocking=False):
        # 204 tells EventSource not to reconnect; the page then refreshes itself on a slow timer.
        return Response(status=204)
    try:
        pubsub = queues.redis.pubsub()
        pubsub.subscribe(channel(user_id))
        # Read Redis's confirmation, so that once the browser sees the stream open no event is missed.
        pubsub.get_message(timeout=5)
    except RedisError as error:
        slots.release()
        log.warning("live stream for user %s refused: %s", user_id, type(error).__name__)
        return Response(status=204)

    def close() -> None:
        pubsub.close()
        slots.release()

    response = Response(_events(pubsub, lifetime, heartbeat), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    # Proxies that buffer (nginx) would hold the events back.
    response.headers["X-Accel-Buffering"] = "no"
    response.call_on_close(close)
    return response


def _events(pubsub: PubSub, lifetime: float, heartbeat: float) -> Iterator[str]:
    """Relay published events until the stream's lifetime is up; a comment line whenever it has been quiet."""
    yield f"retry: {RECONNECT_MILLISECONDS}\n: connected\n\n"
    started = last_sent = time.monotonic()
    while (now := time.monotonic()) - started < lifetime:
        wait = max(0.05, min(heartbeat - (now - last_sent), lifetime - (now - started)))
        try:
            message = pubsub.get_message(timeout=wait)
        except RedisError:
            return
        if message is not None and message["type"] == "message":
            data = message["data"].decode() if isinstance(message["data"], bytes) else message["data"]
            kind = json.loads(data).get("type", "update")
            yield f"event: {kind}\ndata: {data}\n\n"
            last_sent = time.monotonic()
        elif time.monotonic() - last_sent >= heartbeat:
            yield ": heartbeat\n\n"
            last_sent = time.monotonic()
