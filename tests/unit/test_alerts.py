"""Low-battery alert rules, as tables of readings, remembered episodes and settings."""

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from app.rules.alerts import (
    AlertDevice,
    AlertSettings,
    EpisodeState,
    decide,
    decide_silence,
)
from tests.support.alert_readings import NOW, reading

ACTIVE = AlertSettings(phone_verified=True, connected=True)
LONGEST_NAME = "Pixel Watch 3 LTE 45mm Matte Hazel Aluminium Case with Active Band"
NO_STATE = EpisodeState()
OPEN = EpisodeState(episode=1, in_low=True)
OPEN_EMPTY = EpisodeState(episode=1, in_low=True, empty_sent=True)
CLOSED = EpisodeState(episode=1)



LOW = reading(battery_status="Low", battery_level=18)
EMPTY = reading(battery_status="Empty", battery_level=None)


def synced_ago(**ago):
    return NOW - timedelta(**ago)


def at(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("device", "settings", "judged", "texted"),
    [
        pytest.param(LOW, ACTIVE, True, True, id="a low tracker gets a text"),
        pytest.param(replace(LOW, device_type="WATCH"), ACTIVE, True, True, id="a low watch gets a text"),
        pytest.param(replace(LOW, device_type="RING"), ACTIVE, True, True, id="a device of an unknown type counts"),
        pytest.param(
            replace(LOW, device_type="SCALE"), ACTIVE, False, False,
            id="a scale is ignored unless the user included scales",
        ),
        pytest.param(
            replace(LOW, device_type="scale"), ACTIVE, False, False,
            id="a scale is recognised whatever its case",
        ),
        pytest.param(
            replace(LOW, device_type="SCALE"), replace(ACTIVE, include_scales=True), True, True,
            id="a scale the user included gets a text",
        ),
        pytest.param(
            replace(LOW, last_sync_at=synced_ago(days=31)), ACTIVE, False, False,
            id="a device silent for 31 days is ignored",
        ),
        pytest.param(
            replace(LOW, last_sync_at=synced_ago(days=30)), ACTIVE, True, True,
            id="a device silent for exactly 30 days is still judged",
        ),
        pytest.param(
            replace(LOW, last_sync_at=None), ACTIVE, True, True,
            id="a device with no last sync time is judged on its battery",
        ),
    ],
)
def test_which_devices_count(device, settings, judged, texted):
    decision = decide([device], {}, settings, NOW, texts_sent_today=0)

    assert (device.device_key in decision.states) is judged
    assert len(decision.alerts) == (1 if texted else 0)


def test_an_ignored_device_keeps_its_remembered_state():
    forgotten = replace(LOW, last_sync_at=synced_ago(days=45))

    decision = decide([forgotten], {"charge-6": OPEN}, ACTIVE, NOW, texts_sent_today=0)

    assert decision.states == {}
    assert decision.alerts == ()


@pytest.mark.parametrize(
    ("status", "level", "threshold", "kind"),
    [
        pytest.param("Low", None, 20, "low", id="status Low with no level is low"),
        pytest.param("low", None, 20, "low", id="status is compared case-insensitively"),
        pytest.param("LOW", 50, 20, "low", id="status Low is low whatever the level says"),
        pytest.param("Medium", 20, 20, "low", id="a level at the threshold is low"),
        pytest.param("High", 5, 20, "low", id="a level below the threshold is low whatever the status says"),
        pytest.param("Medium", 21, 20, None, id="a level just above the threshold is not low"),
        pytest.param(None, 15, 10, None, id="15 percent is not low at a 10 percent threshold"),
        pytest.param(None, 15, 15, "low", id="15 percent is low at a 15 percent threshold"),
        pytest.param("Empty", None, 20, "empty", id="status Empty is empty"),
        pytest.param(None, 0, 20, "empty", id="a level of 0 is empty"),
        pytest.param(None, None, 20, None, id="no status and no level is not low"),
        pytest.param("Medium", -1, 20, None, id="a level outside 0 to 100 is treated as unknown"),
    ],
)
def test_when_a_reading_is_low(status, level, threshold, kind):
    device = reading(battery_status=status, battery_level=level)
    settings = replace(ACTIVE, threshold_percent=threshold)

    decision = decide([device], {}, settings, NOW, texts_sent_today=0)

    assert [alert.kind for alert in decision.alerts] == ([kind] if kind else [])


@pytest.mark.parametrize(
    ("before", "device", "threshold", "after", "kind"),
    [
        pytest.param(NO_STATE, LOW, 20, OPEN, "low", id="a first low reading starts episode 1 with one low text"),
        pytest.param(
            OPEN, replace(LOW, battery_level=12), 20, OPEN, None,
            id="a second low reading in the same episode sends nothing",
        ),
        pytest.param(OPEN, EMPTY, 20, OPEN_EMPTY, "empty", id="Empty after a Low text sends one urgent text"),
        pytest.param(OPEN_EMPTY, EMPTY, 20, OPEN_EMPTY, None, id="a second Empty reading sends nothing more"),
        pytest.param(NO_STATE, EMPTY, 20, OPEN_EMPTY, "empty", id="reaching Empty directly sends only the empty text"),
        pytest.param(OPEN_EMPTY, LOW, 20, OPEN_EMPTY, None, id="Low after Empty in the same episode sends nothing"),
        pytest.param(
            OPEN_EMPTY, reading(battery_level=30), 20, CLOSED, None,
            id="charging to threshold + 10 ends the episode",
        ),
        pytest.param(
            OPEN, reading(battery_level=29), 20, OPEN, None,
            id="charging to threshold + 9 keeps the episode open",
        ),
        pytest.param(
            OPEN, reading(battery_status="Medium", battery_level=25), 20, OPEN, None,
            id="status Medium at 25 percent keeps the episode open because levels win",
        ),
        pytest.param(
            OPEN, reading(battery_status="Medium", battery_level=None), 20, CLOSED, None,
            id="status Medium with no level ends the episode",
        ),
        pytest.param(
            OPEN, reading(battery_status="high", battery_level=None), 20, CLOSED, None,
            id="status High with no level ends the episode",
        ),
        pytest.param(
            OPEN, reading(battery_status=None, battery_level=None), 20, OPEN, None,
            id="an unknown battery keeps the episode open",
        ),
        pytest.param(
            NO_STATE, reading(battery_level=25), 20, NO_STATE, None,
            id="a reading in the band with no open episode sends nothing",
        ),
        pytest.param(
            CLOSED, LOW, 20, replace(OPEN, episode=2), "low",
            id="a low reading after charging starts episode 2 with a new text",
        ),
        pytest.param(
            OPEN, reading(battery_level=100), 95, CLOSED, None,
            id="a full battery ends the episode when threshold + 10 is past 100",
        ),
        pytest.param(
            EpisodeState(silence=2, silent_sent=True), LOW, 20, EpisodeState(1, True, False, 2, True), "low",
            id="a battery reading leaves the silence fields alone",
        ),
    ],
)
def test_one_text_per_low_battery_episode(before, device, threshold, after, kind):
    settings = replace(ACTIVE, threshold_percent=threshold)

    decision = decide([device], {device.device_key: before}, settings, NOW, texts_sent_today=0)

    assert decision.states == {device.device_key: after}
    assert [(alert.kind, alert.episode) for alert in decision.alerts] == ([(kind, after.episode)] if kind else [])


def test_each_device_in_a_sync_is_judged_on_its_own():
    watch = reading(device_key="pixel-watch", device_type="WATCH", product_name="Pixel Watch 3", battery_level=60)
    states = {"charge-6": CLOSED, "pixel-watch": NO_STATE}

    decision = decide([LOW, watch], states, ACTIVE, NOW, texts_sent_today=0)

    assert decision.states == {"charge-6": replace(OPEN, episode=2), "pixel-watch": NO_STATE}
    assert [(alert.device_key, alert.episode) for alert in decision.alerts] == [("charge-6", 2)]


@pytest.mark.parametrize(
    ("time_zone", "quiet", "now", "send_after"),
    [
        pytest.param(
            "Europe/London", (time(22), time(7)), at(2026, 6, 22, 12), None,
            id="outside quiet hours the text goes now",
        ),
        pytest.param(
            "Europe/London", (time(22), time(7)), at(2026, 6, 22, 22, 30), at(2026, 6, 23, 6),
            id="quiet hours across midnight hold the text until 07:00 local",
        ),
        pytest.param(
            "Europe/London", (time(22), time(7)), at(2026, 6, 23, 2), at(2026, 6, 23, 6),
            id="after midnight the text waits for 07:00 the same morning",
        ),
        pytest.param(
            "Europe/London", (time(22), time(7)), at(2026, 6, 22, 21), at(2026, 6, 23, 6),
            id="the start of the window is quiet",
        ),
        pytest.param(
            "Europe/London", (time(22), time(7)), at(2026, 6, 23, 6), None,
            id="the end of the window is no longer quiet",
        ),
        pytest.param(
            "America/New_York", (time(13), time(14)), at(2026, 6, 22, 17, 30), at(2026, 6, 22, 18),
            id="a daytime window holds the text until its end",
        ),
        pytest.param(
            "Asia/Tokyo", (time(22), time(7)), at(2026, 6, 22, 14), at(2026, 6, 22, 22),
            id="quiet hours follow the user's time zone, not ours",
        ),
        pytest.param(
            "Europe/London", (time(22), time(7)), at(2026, 3, 29, 0, 30), at(2026, 3, 29, 6),
            id="on the spring-forward night the text waits for 07:00 summer time",
        ),
        pytest.param(
            "America/New_York", (time(22), time(7)), at(2026, 11, 1, 4, 30), at(2026, 11, 1, 12),
            id="on the fall-back night the text waits for 07:00 standard time",
        ),
        pytest.param(
            "Europe/London", (time(22), time(22)), at(2026, 6, 22, 21, 30), None,
            id="equal start and end mean no quiet hours",
        ),
        pytest.param("Europe/London", (None, None), at(2026, 6, 22, 23), None, id="no quiet hours set"),
        pytest.param(
            "Europe/London", (time(22), None), at(2026, 6, 22, 23), None,
            id="a start without an end means no quiet hours",
        ),
        pytest.param(
            "Mars/Olympus", (time(22), time(7)), at(2026, 6, 22, 23), at(2026, 6, 23, 7),
            id="an unknown time zone counts as UTC",
        ),
        pytest.param(
            "Europe", (time(22), time(7)), at(2026, 6, 22, 23), at(2026, 6, 23, 7),
            id="a time zone folder counts as UTC",
        ),
        pytest.param(
            "", (time(22), time(7)), at(2026, 6, 22, 23), at(2026, 6, 23, 7),
            id="an empty time zone counts as UTC",
        ),
    ],
)
def test_quiet_hours_hold_the_text(time_zone, quiet, now, send_after):
    settings = replace(ACTIVE, time_zone=time_zone, quiet_start=quiet[0], quiet_end=quiet[1])
    device = replace(LOW, last_sync_at=now)

    decision = decide([device], {}, settings, now, texts_sent_today=0)

    (alert,) = decision.alerts
    assert alert.send_after == send_after
    assert send_after is None or send_after.utcoffset() == timedelta(0)


def test_a_held_text_is_decided_at_once_so_the_morning_sends_no_second_one():
    settings = replace(ACTIVE, time_zone="Europe/London", quiet_start=time(22), quiet_end=time(7))

    night = decide([LOW], {}, settings, at(2026, 6, 22, 23), texts_sent_today=0)
    morning = decide([LOW], night.states, settings, at(2026, 6, 23, 7), texts_sent_today=1)

    assert night.states == {"charge-6": OPEN}
    assert len(night.alerts) == 1
    assert morning.alerts == ()


@pytest.mark.parametrize(
    ("gate", "texted"),
    [
        pytest.param({}, True, id="a verified, connected, active user gets the text"),
        pytest.param({"paused": True}, False, id="a paused user gets no text"),
        pytest.param({"phone_verified": False}, False, id="an unverified phone gets no text"),
        pytest.param({"opted_out": True}, False, id="a user who opted out gets no text"),
        pytest.param({"connected": False}, False, id="a disconnected user gets no text"),
    ],
)
def test_gates_stop_texts_but_the_episode_still_advances(gate, texted):
    gated = replace(ACTIVE, **gate)

    during = decide([LOW], {}, gated, NOW, texts_sent_today=0)
    resumed = decide([LOW], during.states, ACTIVE, NOW + timedelta(hours=1), texts_sent_today=0)

    assert len(during.alerts) == (1 if texted else 0)
    assert during.states == {"charge-6": OPEN}
    assert during.dropped_for_cap == 0
    assert resumed.alerts == (), "on resume a stale episode must not fire a late text"


def low_device(number, battery_status="Low"):
    return reading(device_key=f"device-{number}", battery_status=battery_status, battery_level=None)


@pytest.mark.parametrize(
    ("sent_today", "daily_cap", "devices", "kinds", "dropped"),
    [
        pytest.param(0, 5, [low_device(1), low_device(2)], ["low", "low"], 0, id="under the cap every text goes"),
        pytest.param(4, 5, [low_device(1), low_device(2)], ["low"], 1, id="the text past the cap is dropped"),
        pytest.param(5, 5, [low_device(1)], [], 1, id="at the cap nothing more goes today"),
        pytest.param(7, 5, [low_device(1)], [], 1, id="past the cap nothing more goes today"),
        pytest.param(0, 0, [low_device(1)], [], 1, id="a cap of 0 sends nothing"),
        pytest.param(
            4, 5, [low_device(1), low_device(2, "Empty")], ["empty"], 1,
            id="the cap keeps the urgent empty text before a low one",
        ),
    ],
)
def test_daily_cap(sent_today, daily_cap, devices, kinds, dropped):
    settings = replace(ACTIVE, daily_cap=daily_cap)

    decision = decide(devices, {}, settings, NOW, texts_sent_today=sent_today)

    assert [alert.kind for alert in decision.alerts] == kinds
    assert decision.dropped_for_cap == dropped
    assert all(state.in_low for state in decision.states.values())


def test_a_text_dropped_for_the_cap_is_not_sent_the_next_day():
    today = decide([LOW], {}, ACTIVE, NOW, texts_sent_today=5)
    tomorrow = decide([LOW], today.states, ACTIVE, NOW + timedelta(days=1), texts_sent_today=0)

    assert today.dropped_for_cap == 1
    assert tomorrow.alerts == ()


@pytest.mark.parametrize(
    ("device", "about", "time_left"),
    [
        pytest.param(LOW, AlertDevice("Charge 6", "TRACKER", 18), None, id="a low alert tells the device and its level"),
        pytest.param(
            replace(LOW, battery_level=150), AlertDevice("Charge 6", "TRACKER", None), None,
            id="a level outside 0 to 100 is told as unknown",
        ),
        pytest.param(
            replace(LOW, product_name=None, device_type="WATCH"), AlertDevice(None, "WATCH", 18), None,
            id="a device the platform gives no name is told by its type",
        ),
        pytest.param(
            replace(LOW, product_name=LONGEST_NAME), AlertDevice(LONGEST_NAME, "TRACKER", 18), None,
            id="a long name is told whole: its words cut it",
        ),
        pytest.param(
            replace(LOW, empty_at=NOW + timedelta(hours=14)), AlertDevice("Charge 6", "TRACKER", 18),
            timedelta(hours=14), id="a confident forecast tells the time left",
        ),
        pytest.param(
            replace(LOW, empty_at=NOW), AlertDevice("Charge 6", "TRACKER", 18), None,
            id="a forecast that says it is already empty promises no time",
        ),
        pytest.param(EMPTY, AlertDevice("Charge 6", "TRACKER", None), None, id="an empty alert without a level"),
    ],
)
def test_an_alert_tells_the_device_its_level_and_the_time_left(device, about, time_left):
    (alert,) = decide([device], {}, ACTIVE, NOW, texts_sent_today=0).alerts

    assert (alert.devices, alert.time_left, alert.silent_for) == ((about,), time_left, None)


def test_a_silence_alert_tells_how_long_the_device_has_been_silent():
    silent = reading(last_sync_at=NOW - timedelta(hours=30, minutes=5))

    (alert,) = decide_silence([silent], {}, ACTIVE, NOW, texts_sent_today=0).alerts

    assert (alert.kind, alert.devices, alert.time_left, alert.silent_for) == (
        "silent", (AlertDevice("Charge 6", "TRACKER", 60),), None, timedelta(hours=30, minutes=5))


SILENT_ONCE = EpisodeState(silence=1, silent_sent=True)
SILENT_OVER = EpisodeState(silence=1)
SILENT_AGAIN = EpisodeState(silence=2, silent_sent=True)
SCALES = replace(ACTIVE, include_scales=True)


def tracker_silent_for(**silence):
    return reading(last_sync_at=synced_ago(**silence))


def scale_silent_for(**silence):
    return reading(device_type="SCALE", last_sync_at=synced_ago(**silence))


@pytest.mark.parametrize(
    ("before", "device", "settings", "silence_hours", "after", "texted"),
    [
        pytest.param(
            NO_STATE, tracker_silent_for(hours=25), ACTIVE, 24, SILENT_ONCE, True,
            id="a tracker silent for 25 hours gets one text",
        ),
        pytest.param(
            SILENT_ONCE, tracker_silent_for(hours=30), ACTIVE, 24, SILENT_ONCE, False,
            id="a second sweep in the same silence sends nothing",
        ),
        pytest.param(
            SILENT_ONCE, tracker_silent_for(hours=1), ACTIVE, 24, SILENT_OVER, False,
            id="syncing again ends the silence",
        ),
        pytest.param(
            SILENT_OVER, tracker_silent_for(hours=26), ACTIVE, 24, SILENT_AGAIN, True,
            id="a new silence after a sync sends a new text numbered 2",
        ),
        pytest.param(
            NO_STATE, tracker_silent_for(hours=23), ACTIVE, 24, NO_STATE, False,
            id="23 hours is not yet silent",
        ),
        pytest.param(
            NO_STATE, tracker_silent_for(hours=24), ACTIVE, 24, SILENT_ONCE, True,
            id="exactly 24 hours is silent",
        ),
        pytest.param(
            NO_STATE, tracker_silent_for(hours=13), ACTIVE, 12, SILENT_ONCE, True,
            id="the sweep may use a shorter silence",
        ),
        pytest.param(
            NO_STATE, tracker_silent_for(days=31), ACTIVE, 24, None, False,
            id="a device silent for 31 days is ignored",
        ),
        pytest.param(
            NO_STATE, reading(last_sync_at=None), ACTIVE, 24, NO_STATE, False,
            id="a device with no last sync time cannot be judged silent",
        ),
        pytest.param(
            NO_STATE, scale_silent_for(days=3), ACTIVE, 24, None, False,
            id="a silent scale is ignored unless the user included scales",
        ),
        pytest.param(
            NO_STATE, scale_silent_for(days=3), SCALES, 24, SILENT_ONCE, True,
            id="a silent scale the user included gets a text",
        ),
        pytest.param(
            OPEN, tracker_silent_for(hours=25), ACTIVE, 24, replace(OPEN, silence=1, silent_sent=True), True,
            id="a silence leaves the low-battery episode alone",
        ),
        pytest.param(
            NO_STATE, tracker_silent_for(hours=25), replace(ACTIVE, paused=True), 24, SILENT_ONCE, False,
            id="a paused user gets no silent text but the silence is spent",
        ),
    ],
)
def test_went_silent(before, device, settings, silence_hours, after, texted):
    decision = decide_silence([device], {device.device_key: before}, settings, NOW, 0, silence_hours=silence_hours)

    assert decision.states == ({} if after is None else {device.device_key: after})
    expected = [("silent", device.device_key, after.silence)] if texted else []
    assert [(alert.kind, alert.device_key, alert.episode) for alert in decision.alerts] == expected


def test_silent_texts_respect_quiet_hours_and_the_cap():
    settings = replace(ACTIVE, time_zone="Europe/London", quiet_start=time(22), quiet_end=time(7), daily_cap=2)
    silent = [reading(device_key=key, last_sync_at=at(2026, 6, 21, 12)) for key in ("a", "b", "c")]

    decision = decide_silence(silent, {}, settings, at(2026, 6, 22, 23), texts_sent_today=1)

    assert [(alert.device_key, alert.send_after) for alert in decision.alerts] == [("a", at(2026, 6, 23, 6))]
    assert decision.dropped_for_cap == 2
    assert all(state.silent_sent for state in decision.states.values())


@pytest.mark.parametrize("decide_function", [decide, decide_silence], ids=["battery", "silence"])
def test_a_naive_now_is_refused(decide_function):
    with pytest.raises(ValueError, match="timezone-aware"):
        decide_function([LOW], {}, ACTIVE, datetime(2026, 6, 22, 12), 0)
