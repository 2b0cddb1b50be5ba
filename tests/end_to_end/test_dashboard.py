"""The dashboard with a real worker behind it: a saved setting changes the next sync's text, a sync's readings are
published for the open page."""

from __future__ import annotations

import json
import re
import socket
import time
from urllib.parse import urlsplit

from app.adapters.events import channel
from app.extensions import queues
from tests.support.factories import make_user
from tests.support.journeys import settled, signed_up_user, texts
from tests.support.polling import wait_until


def test_a_threshold_raised_above_the_current_level_texts_on_the_next_sync(emulator, sign_in, start_worker, live_app):
    start_worker()
    person, user, browser = signed_up_user(emulator, sign_in, "google", level=30)
    settled(user, reads=1, emulator=emulator, person=person)
    assert texts(user, "low") == []  # 30% is above the default 20%

    page = browser.get(live_app.url + "/settings", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    saved = browser.post(live_app.url + "/settings", data={"csrf_token": token, "threshold": "40", "time_zone": "platform"},
                         allow_redirects=False, timeout=10)
    assert saved.status_code == 302

    result = emulator.sync(person["id"])
    assert all(push["status"] == 204 for push in result["pushes"])
    settled(user, reads=2, emulator=emulator, person=person)
    (low,) = texts(user, "low")
    assert "Charge 6" in low.body and "30%" in low.body


def test_a_sync_publishes_its_readings(emulator, sign_in, start_worker, app):
    start_worker()
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    listener = queues.redis.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(channel(user.id))
    events = []

    def readings_event():
        message = listener.get_message(timeout=0.5)
        if message is not None:
            events.append(json.loads(message["data"]))
        return next((event for event in events if event["type"] == "readings"), None)

    try:
        emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=12)
        emulator.sync(person["id"])
        event = wait_until(readings_event, what="the readings event")
    finally:
        listener.close()
    assert event["devices"][0]["battery_level"] == 12 and event["texts"] == 1


def test_a_browser_that_leaves_frees_its_stream_slot_long_before_the_next_heartbeat(app, live_app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_HEARTBEAT_SECONDS", 15)
    monkeypatch.setitem(app.config, "LIVE_STREAM_SECONDS", 300)
    user = make_user()
    cookie = app.test_client(user=user).get_cookie("session").value
    slots = app.extensions["live_stream_slots"]
    host, port = urlsplit(live_app.url).hostname, urlsplit(live_app.url).port

    with socket.create_connection((host, port), timeout=5) as browser:
        browser.sendall(f"GET /dashboard/events HTTP/1.1\r\nHost: {host}\r\nCookie: session={cookie}\r\n"
                        "Accept: text/event-stream\r\n\r\n".encode())
        assert browser.recv(4096).startswith(b"HTTP/1.1 200")
        assert slots.held[user.id] == 1
        left_at = time.monotonic()

    wait_until(lambda: not slots.held.get(user.id), seconds=5, what="the stream's slot to be free")
    assert time.monotonic() - left_at < 5  # the first heartbeat would only come after 15 s
