"""Live events for open dashboards: jobs publish what changed for a user on Redis pub/sub, best effort."""

from __future__ import annotations

import json
import logging

from redis import Redis
from redis.exceptions import RedisError

from app.extensions import queues

log = logging.getLogger(__name__)


def channel(user_id: int, redis: Redis | None = None) -> str:
    """The user's channel. Pub/sub channels are server-wide, not per database: the database number is in the
    name, or deploys sharing one Redis server on different numbers (staging, CI) would hear each other's users."""
    database = (redis or queues.redis).connection_pool.connection_kwargs.get("db", 0)
    return f"live:{database}:user:{user_id}"


def user_of_channel(name: bytes | str) -> int:
    """The user a channel (as Redis names it back, bytes or text) is for."""
    text = name.decode() if isinstance(name, bytes) else name
    return int(text.rsplit(":", 1)[1])


def publish(user_id: int | None, event: dict) -> None:
    """Tell the user's open dashboards that something changed; a Redis hiccup never fails the job."""
    if user_id is None:
        return
    try:
        queues.redis.publish(channel(user_id), json.dumps(event, default=str))
    except RedisError as error:
        log.warning("live update for user %s not published: %s", user_id, type(error).__name__)
