"""The dashboard and settings on the server: times in the user's zone, banners, settings rules, live events.

The chart itself is in tests/unit/test_dashboard.py; a sync reaching the dashboard is in
tests/end_to_end/test_dashboard.py.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import g
from redis import Redis

from app.adapters.events import publish
from app.extensions import db
from app.models import BatteryReading, ConnectionState, MessageStatus, OutgoingMessage, Platform, User, utcnow
from tests.support.factories import make_device, make_user

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


# Times


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Tokyo"])
def test_the_last_sync_shows_how_long_ago_and_the_clock_time_in_the_users_zone(app, zone):
    user = make_user(time_zone=zone)
    synced = utcnow() - timedelta(hours=3, minutes=5)
    make_device(user, "Sense 2", battery_level=64, battery_status="Medium", last_sync_at=synced)
    client = app.test_client(user=user)
    page = client.get("/dashboard").get_data(as_text=True)
    local = synced.astimezone(ZoneInfo(zone))
    assert "Sense 2" in page and "64%" in page and "Medium" in page
    assert "3 hours ago" in page
    assert f"({local:%a} {local.day} {local:%b}, {local:%H:%M})" in page


def test_the_dashboard_draws_each_devices_history_for_7_and_30_days(app):
    user = make_user()
    device = make_device(user, battery_level=40)
    now = utcnow()  # read once: the first reading's date below must be the one stored, even across midnight
    for days_ago, level in [(20, 90), (5, 70), (1, 40)]:
        db.session.add(BatteryReading(device_id=device.id, read_at=now - timedelta(days=days_ago), battery_level=level))
    db.session.commit()
    client = app.test_client(user=user)
    week = client.get("/dashboard").get_data(as_text=True)
    month = client.get("/dashboard?days=30").get_data(as_text=True)
    assert "battery over the last 7 days" in week and "2 readings" in week
    first = (now - timedelta(days=20)).strftime("%a %-d %b")
    assert f"battery since {first}" in month and "3 readings" in month  # 21 days of history, not 30


def test_a_new_accounts_chart_shows_the_days_it_has_not_empty_ones(app):
    user = make_user()
    device = make_device(user, battery_level=40)
    db.session.add(BatteryReading(device_id=device.id, read_at=utcnow() - timedelta(hours=1), battery_level=40))
    db.session.commit()

    page = app.test_client(user=user).get("/dashboard").get_data(as_text=True)

    assert "battery over the last 7 days" not in page and "battery since" in page


# Texts and banners


def add_text(user: User, kind: str, body: str, status: MessageStatus, **fields) -> None:
    db.session.add(OutgoingMessage(user_id=user.id, idempotency_key=f"{kind}:{user.id}:{body}", kind=kind, to=user.phone,
                                   body=body, status=status, **fields))
    db.session.commit()


def test_the_texts_show_their_delivery_status_and_never_a_code(app):
    user = make_user(time_zone="UTC", quiet_start=time(22), quiet_end=time(7))
    add_text(user, "verification", "Your Battery Text code is 123456. It expires in 10 minutes.", MessageStatus.QUEUED)
    add_text(user, "low", "Battery low: your Charge 6 is at 15%.", MessageStatus.DELIVERED)
    add_text(user, "empty", "Battery empty: your Charge 6 is at 3%.", MessageStatus.FAILED)
    held_until = utcnow() + timedelta(hours=2)  # read once: two reads could fall either side of a minute
    add_text(user, "silent", "Your Charge 6 has not synced.", MessageStatus.QUEUED, send_after=held_until)
    client = app.test_client(user=user)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "123456" not in page and "Number confirmed" in page  # the codes are one line, never a code
    assert "Delivered" in page and "Not delivered" in page
    assert f"Held for quiet hours until {held_until:%H:%M}" in page


def banner_texts(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found)).strip()
            for found in re.findall(r'<div class="banner[^"]*" role="alert">(.*?)</div>', page, re.S)]


@pytest.mark.parametrize("state, expected", [
    ({}, []),
    ({"phone_verified_at": None}, ["Verify your phone"]),
    ({"connection_state": ConnectionState.NEEDS_RECONNECT}, ["We can no longer read your trackers from Google"]),
    ({"connection_state": ConnectionState.PLATFORM_RETIRED, "platform": Platform.FITBIT},
     ["Fitbit has switched off its old service"]),
    ({"opted_out_at": NOW}, ["You replied STOP"]),
    ({"paused": True}, ["Alerts are paused"]),
    ({"paused": True, "opted_out_at": NOW}, ["You replied STOP", "Alerts are paused"]),
], ids=["all well", "phone unverified", "reconnect", "fitbit retired", "stop", "paused", "stop and paused"])
def test_each_state_that_needs_action_has_its_banner(app, state, expected):
    user = make_user()
    for name, value in state.items():
        setattr(user, name, value)
    db.session.commit()
    client = app.test_client(user=user)
    shown = banner_texts(client.get("/dashboard").get_data(as_text=True))
    assert len(shown) == len(expected)
    for banner, words in zip(shown, expected, strict=True):
        assert banner.startswith(words)


@pytest.mark.parametrize("state, link", [
    ({"connection_state": ConnectionState.NEEDS_RECONNECT}, 'href="/login/google"'),
    ({"connection_state": ConnectionState.PLATFORM_RETIRED, "platform": Platform.FITBIT}, 'href="/login/google"'),
    ({"connection_state": ConnectionState.NEEDS_RECONNECT, "platform": Platform.FITBIT}, 'href="/login/fitbit"'),
    ({"phone_verified_at": None}, 'href="/phone/code"'),
    ({"paused": True}, 'action="/settings/resume"'),
    ({"opted_out_at": NOW}, 'action="/phone/again"'),
    ({"phone_failed_at": NOW}, 'action="/phone/test"'),
])
def test_a_banner_links_to_its_fix(app, state, link):
    user = make_user()
    for name, value in state.items():
        setattr(user, name, value)
    db.session.commit()
    client = app.test_client(user=user)
    banners = re.findall(r'<div class="banner[^"]*" role="alert">(.*?)</div>', client.get("/dashboard").get_data(as_text=True), re.S)
    assert link in banners[0]


def test_turn_them_back_on_resumes_paused_texts_in_one_click(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    user = make_user(paused=True)
    client = app.test_client(user=user)

    answer = client.post("/settings/resume")

    assert answer.headers["Location"].endswith("/dashboard")
    assert user_settings(user)[-1] is False
    assert "Alerts are paused" not in client.get("/dashboard").get_data(as_text=True)


# Settings


def user_settings(user: User) -> tuple:
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    return (fresh.threshold_percent, fresh.quiet_start, fresh.quiet_end, fresh.time_zone, fresh.time_zone_from_platform,
            fresh.include_scales, fresh.paused)


GOOD = {"threshold": "30", "quiet_start": "22:00", "quiet_end": "07:00", "time_zone": "Asia/Tokyo",
        "include_scales": "on", "paused": "on"}


def test_good_settings_are_saved_and_a_chosen_zone_stops_following_the_platform(app, no_csrf):
    user = make_user(time_zone="Europe/London", time_zone_from_platform=True)
    client = app.test_client(user=user)
    answer = client.post("/settings", data=GOOD)
    assert answer.status_code == 302
    assert user_settings(user) == (30, time(22), time(7), "Asia/Tokyo", False, True, True)
    assert "Your settings are saved" in client.get("/settings").get_data(as_text=True)


def test_following_the_platform_zone_again_and_clearing_quiet_hours(app, no_csrf):
    user = make_user(time_zone="Asia/Tokyo", time_zone_from_platform=False, quiet_start=time(22), quiet_end=time(7),
                     paused=True)
    client = app.test_client(user=user)
    answer = client.post("/settings", data={"threshold": "10", "quiet_start": "", "quiet_end": "", "time_zone": "platform"})
    assert answer.status_code == 302
    assert user_settings(user) == (10, None, None, "Asia/Tokyo", True, False, False)


@pytest.mark.parametrize("field, typed, message", [
    ("threshold", "9", "Choose a whole number from 10 to 50."),
    ("threshold", "51", "Choose a whole number from 10 to 50."),
    ("threshold", "twenty", "Choose a whole number from 10 to 50."),
    ("threshold", "", "Choose a whole number from 10 to 50."),
    ("quiet_start", "25:00", "Give both a start and an end time, or leave both quiet-hours boxes empty."),
    ("quiet_end", "7pm", "Give both a start and an end time, or leave both quiet-hours boxes empty."),
    ("quiet_end", "", "Give both a start and an end time, or leave both quiet-hours boxes empty."),
    ("quiet_end", "22:00", "Quiet hours must end at a different time than they start."),
    ("time_zone", "Mars/Olympus", "Choose a place from the list, like London, United Kingdom."),
    ("time_zone", "", "Choose a place from the list, like London, United Kingdom."),
])
def test_bad_settings_show_a_plain_message_and_save_nothing(app, no_csrf, field, typed, message):
    user = make_user()
    before = user_settings(user)
    client = app.test_client(user=user)
    answer = client.post("/settings", data={**GOOD, field: typed})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert message in page and "nothing was saved" in page
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page)
    assert user_settings(user) == before


def test_the_error_summary_links_to_each_wrong_field_and_takes_the_focus(app, no_csrf):
    user = make_user()
    page = app.test_client(user=user).post("/settings", data={**GOOD, "threshold": "9", "time_zone": "Mars"})

    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', page.get_data(as_text=True), re.S)
    assert "autofocus" in summary.group(0) and 'tabindex="-1"' in summary.group(0)
    assert re.findall(r'href="#(\w+)"', summary.group(1)) == ["threshold", "time_zone"]


@pytest.mark.parametrize("typed, zone", [("London", "Europe/London"), ("london, united kingdom", "Europe/London"),
                                         ("America/New_York", "America/New_York"), ("New York", "America/New_York")])
def test_a_place_is_found_by_its_city_or_its_zone_name(app, no_csrf, typed, zone):
    user = make_user()
    app.test_client(user=user).post("/settings", data={**GOOD, "zone_source": "chosen", "time_zone": typed})
    assert user_settings(user)[3:5] == (zone, False)


def test_the_time_zone_list_is_places_by_region_and_city_with_the_platforms_zone_first(app):
    user = make_user(time_zone="Asia/Tokyo", time_zone_from_platform=True)
    page = app.test_client(user=user).get("/settings").get_data(as_text=True)
    options = re.findall(r'<option value="([^"]+)">([^<]+)</option>', page)
    assert options[0] == ("Asia/Tokyo", "Tokyo, Japan (as on Google)")
    assert ("Europe/London", "London, United Kingdom") in options and len(options) < 450
    assert not {"Africa/Asmera", "WET", "Zulu", "localtime"} & {zone for zone, _ in options}


def test_settings_without_the_csrf_token_are_refused(app):
    user = make_user()
    before = user_settings(user)
    client = app.test_client(user=user)
    assert client.post("/settings", data=GOOD).status_code == 400
    assert user_settings(user) == before


# Live updates


def read_events(response, until: int) -> list[str]:
    """Read an event stream's blocks (blank-line separated) until `until` blocks have come."""
    blocks, buffer = [], ""
    for chunk in response.response:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            blocks.append(block)
        if len(blocks) >= until:
            break
    return blocks


def test_a_published_event_reaches_the_open_stream_which_holds_no_database_connection(app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_STREAM_SECONDS", 5)
    monkeypatch.setitem(app.config, "LIVE_HEARTBEAT_SECONDS", 1)
    user = make_user()
    client = app.test_client(user=user)
    response = client.get("/dashboard/events", buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert db.engine.pool.checkedout() == 0

    def publish_a_reading():
        with app.app_context():
            publish(user.id, {"type": "readings", "devices": [{"battery_level": 12}]})

    publisher = threading.Timer(0.3, publish_a_reading)
    publisher.start()
    blocks = read_events(response, until=3)
    response.close()
    publisher.join()
    assert blocks[0].startswith("retry: ")
    event = next(block for block in blocks if block.startswith("event: "))
    kind, data = event.split("\n")
    assert kind == "event: readings" and json.loads(data.removeprefix("data: "))["devices"][0]["battery_level"] == 12


def test_a_quiet_stream_sends_heartbeats_and_ends_so_the_browser_reconnects(app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_STREAM_SECONDS", 2.5)
    monkeypatch.setitem(app.config, "LIVE_HEARTBEAT_SECONDS", 1)
    client = app.test_client(user=make_user())
    response = client.get("/dashboard/events", buffered=False)
    blocks = read_events(response, until=100)  # only the stream's end stops this
    response.close()
    assert blocks.count(": heartbeat") == 2


def test_streams_beyond_the_limit_are_told_not_to_reconnect_and_a_closed_stream_frees_its_slot(app):
    user = make_user()
    client = app.test_client(user=user)
    slots = app.extensions["live_stream_slots"]
    others = range(-slots.limit, 0)  # every slot held by someone else
    for other in others:
        assert slots.take(other)
    try:
        assert client.get("/dashboard/events").status_code == 204
    finally:
        for other in others:
            slots.give_back(other)
    response = client.get("/dashboard/events", buffered=False)
    assert response.status_code == 200 and slots.held[user.id] == 1
    response.close()
    assert slots.held[user.id] == 0


def open_stream(client):
    g.pop("_login_user", None)  # Flask-Login keeps the last user in the test's app context
    return client.get("/dashboard/events", buffered=False)


def test_one_user_cannot_hold_every_stream_slot_of_the_process(app):
    greedy, other = make_user(), make_user()
    greedy_browser, other_browser = app.test_client(user=greedy), app.test_client(user=other)

    streams = [open_stream(greedy_browser) for _ in range(app.extensions["live_stream_slots"].limit)]
    others_stream = open_stream(other_browser)

    try:
        assert [stream.status_code for stream in streams] == [200, 200] + [204] * (len(streams) - 2)
        assert others_stream.status_code == 200
        streams.pop(0).close()
        again = open_stream(greedy_browser)
        assert again.status_code == 200
        streams.append(again)
    finally:
        for stream in [*streams, others_stream]:
            stream.close()
    assert not app.extensions["live_stream_slots"].held


def test_a_signed_out_visitor_gets_no_stream(app, client):
    assert client.get("/dashboard/events").status_code == 302


def test_publishing_without_redis_does_not_raise(app, monkeypatch):
    monkeypatch.setitem(app.extensions, "redis", Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1))
    publish(1, {"type": "readings"})


# Urgency and the conversation


def card_names(page: str) -> list[str]:
    return re.findall(r'<h3 class="device-name">([^<]+)</h3>', page)


def test_cards_come_in_order_of_urgency_under_a_summary_and_silence_is_said_on_its_card(app):
    user = make_user()
    make_device(user, "Inspire 3", battery_level=90)
    make_device(user, "Sense 2", battery_level=70, last_sync_at=utcnow() - timedelta(days=3, hours=1))
    make_device(user, "Charge 6", battery_level=15)
    make_device(user, "Pixel Watch 3", battery_level=0)
    make_device(user, "Luxe", battery_level=60, last_sync_at=None)

    page = app.test_client(user=user).get("/dashboard").get_data(as_text=True)

    assert card_names(page)[:4] == ["Pixel Watch 3", "Charge 6", "Sense 2", "Inspire 3"]
    assert "Charge your Pixel Watch 3 now; your Charge 6 soon; check your Sense 2: not synced lately." in page
    assert "Not synced for 3 days</strong> — charge it and open its app." in page
    assert 'class="device device-empty"' in page and 'class="device device-low"' in page
    assert "sync time unknown" in page


def test_texts_show_the_conversation_with_codes_folded_and_older_ones_paged(app):
    user = make_user(time_zone="UTC")
    add_text(user, "verification", "Your Battery Text code is 123456.", MessageStatus.DELIVERED,
             created_at=utcnow() - timedelta(days=2))
    add_text(user, "opt_out", "Battery Text: you will get no more texts. Reply START to turn them back on.",
             MessageStatus.DELIVERED, created_at=utcnow() - timedelta(hours=2))
    add_text(user, "reply", "Battery now: Charge 6 80%.", MessageStatus.DELIVERED, created_at=utcnow() - timedelta(hours=1))
    for n in range(20):
        add_text(user, "low", f"Battery low {n}", MessageStatus.DELIVERED, created_at=utcnow() - timedelta(days=3, minutes=n))
    client = app.test_client(user=user)

    first = client.get("/dashboard").get_data(as_text=True)
    second = client.get("/dashboard?page=2").get_data(as_text=True)

    confirmed = user.phone_verified_at
    assert f"Number confirmed {confirmed.day} {confirmed:%b}" in first and "123456" not in first
    # Newest first: our answer, then the reply it answered, just below it.
    assert first.index("Battery now: Charge 6 80%.") < first.index("You replied BATTERY") < first.index("You replied STOP")
    assert "You replied STOP." in first and "Older texts" in first
    assert "Battery low 19" not in first and "Battery low 19" in second and "Newer texts" in second
