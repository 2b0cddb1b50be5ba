"""Open dashboards through a Redis restart: the streams stay open and keep their heartbeats, the process's
listener hears their users again by itself, tells each page to fetch what it missed, and relays new events."""

from __future__ import annotations

import json

from redis import Redis

from app.adapters.events import channel
from tests.support.factories import make_user
from tests.support.streams import events_until, open_stream


def test_an_open_dashboard_lives_through_a_redis_restart_and_hears_the_next_event(app, make_app, own_redis):
    web = make_app({"LIVE_STREAM_SECONDS": 60, "LIVE_HEARTBEAT_SECONDS": 0.3}, REDIS_URL=own_redis.url)
    user = make_user()
    user_id = user.id
    stream = open_stream(web.test_client(user=user))
    try:
        assert stream.status_code == 200
        own_redis.stop()
        assert events_until(stream) == []  # still open: a heartbeat, and nothing else, while Redis is down

        own_redis.start()

        assert events_until(stream, "resync", seconds=20) == [("resync", {})]
        redis = Redis.from_url(own_redis.url)
        redis.publish(channel(user_id, redis), json.dumps({"type": "readings", "devices": []}))
        assert events_until(stream) == [("readings", {"type": "readings", "devices": []})]
    finally:
        stream.close()
