"""Live dashboards in one web process: every open stream hears its own user's events and no one else's, over
one Redis subscription that the process's listener keeps; a closed stream leaves it; settings saved elsewhere
reach the open dashboards. Real Redis; streams through the app's test client, as the browser's EventSource."""

from __future__ import annotations

from flask import g

from app.adapters.events import channel, publish
from app.extensions import process_label, queues
from tests.support.factories import make_user
from tests.support.polling import wait_until
from tests.support.streams import events_until, open_stream

USERS = 40


def subscriptions_of_this_process() -> int:
    """Redis clients of this process, on the test's database, that hold a subscription."""
    redis = queues.redis
    database = str(redis.connection_pool.connection_kwargs.get("db", 0))
    return sum(1 for client in redis.client_list()
               if client["name"] == process_label() and client["db"] == database and "P" in client["flags"])


def test_forty_open_dashboards_each_hear_their_own_users_events_over_one_subscription(app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_STREAM_SECONDS", 60)
    monkeypatch.setitem(app.config, "LIVE_HEARTBEAT_SECONDS", 0.1)
    users = [make_user() for _ in range(USERS)]
    browsers = [(user.id, app.test_client(user=user)) for user in [*users, users[0]]]  # and a second tab
    user_ids = [user_id for user_id, _ in browsers[:USERS]]
    streams = [(user_id, open_stream(browser)) for user_id, browser in browsers]
    try:
        assert [stream.status_code for _, stream in streams] == [200] * (USERS + 1)
        assert subscriptions_of_this_process() == 1
        assert set(queues.redis.pubsub_numsub(*(channel(user_id) for user_id in user_ids))) == {
            (channel(user_id).encode(), 1) for user_id in user_ids}

        for user_id in user_ids:
            publish(user_id, {"type": "readings", "for": user_id})

        for user_id, stream in streams:
            assert events_until(stream) == [("readings", {"type": "readings", "for": user_id})]
    finally:
        for _, stream in streams:
            stream.close()


def test_a_closed_dashboard_leaves_the_subscription_and_the_last_one_gives_the_connection_back(app):
    first_user, second_user = make_user(), make_user()
    first_id, second_id = first_user.id, second_user.id
    listener = app.extensions["live_listener"]
    first, second = open_stream(app.test_client(user=first_user)), open_stream(app.test_client(user=second_user))
    assert listener.stream_count() == 2

    first.close()

    assert listener.stream_count() == 1 and not app.extensions["live_stream_slots"].held[first_id]
    wait_until(lambda: queues.redis.pubsub_numsub(channel(first_id))[0][1] == 0,
               what="the closed dashboard's user to be unsubscribed")
    assert queues.redis.pubsub_numsub(channel(second_id))[0][1] == 1
    second.close()
    wait_until(lambda: subscriptions_of_this_process() == 0, what="the listener to give its connection back")
    assert listener.stream_count() == 0


def test_a_dashboard_hears_again_after_redis_cuts_the_listeners_connection(app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_STREAM_SECONDS", 60)
    monkeypatch.setitem(app.config, "LIVE_HEARTBEAT_SECONDS", 0.5)
    user = make_user()
    user_id = user.id
    stream = open_stream(app.test_client(user=user))
    try:
        redis = queues.redis
        listening = [client for client in redis.client_list()
                     if client["name"] == process_label() and "P" in client["flags"]]
        assert len(listening) == 1
        redis.client_kill_filter(_id=listening[0]["id"])

        # Whatever was published while it was cut is gone: the page is told to fetch its parts again.
        assert events_until(stream, "resync") == [("resync", {})]
        publish(user_id, {"type": "text", "id": 7})
        assert events_until(stream) == [("text", {"type": "text", "id": 7})]
    finally:
        stream.close()


def test_settings_saved_in_one_tab_update_the_users_other_open_dashboards(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    monkeypatch.setitem(app.config, "LIVE_HEARTBEAT_SECONDS", 0.5)
    user = make_user()
    client = app.test_client(user=user)
    stream = open_stream(client)
    try:
        g.pop("_login_user", None)
        saved = client.post("/settings", data={"threshold": "25", "quiet_start": "22:00", "quiet_end": "07:00",
                                               "time_zone": "Asia/Tokyo", "paused": "day"})
        assert saved.status_code == 302
        g.pop("_login_user", None)
        assert client.post("/settings/resume").status_code == 302

        assert [kind for kind, _ in events_until(stream)] == ["account", "account"]
    finally:
        stream.close()
