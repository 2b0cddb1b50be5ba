"""The evening reminder, as tables: which devices it names, when it is sent at all, and its words."""

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from app.rules.alerts import AlertSettings, DeviceReading
from app.rules.reminders import SAFETY_MARGIN, Candidate, decide_reminder, last_moment, next_moment
from app.texts.alert_texts import LONGEST_KNOWN_AS, alert_text
from app.texts.segments import is_single_gsm7_segment

ZONE = "America/New_York"
EIGHT_PM = time(20, 0)
# 20:00 in New York on 22 June 2026 (EDT, UTC-4).
EVENING = datetime(2026, 6, 23, 0, 0, tzinfo=UTC)
TOMORROW = EVENING + timedelta(days=1)
ACTIVE = AlertSettings(phone_verified=True, connected=True, time_zone=ZONE)
LONGEST_NAME = "Pixel Watch 3 LTE 45mm Matte Hazel Aluminium Case with Active Band"
WATCH = Candidate(DeviceReading("1", "WATCH", "Pixel Watch 3", "Medium", 45, EVENING - timedelta(hours=1)), 45,
                  EVENING + timedelta(hours=14))


def reminder(candidates=(WATCH,), settings=ACTIVE, now=EVENING, sent_today=0, remind_at=EIGHT_PM):
    return decide_reminder(list(candidates), settings, remind_at, now, sent_today)


def test_a_tracker_due_before_this_time_tomorrow_gets_one_reminder_keyed_by_the_evening():
    alert = reminder()
    assert alert_text(alert) == "Charge tonight: your Pixel Watch 3 is at 45% and should run low before this time tomorrow."
    assert (alert.kind, alert.device_key, alert.episode, alert.send_after) == ("reminder", "evening", 20260622, None)


@pytest.mark.parametrize(
    ("candidate", "reminded"),
    [
        pytest.param(replace(WATCH, reaches_alert_at=TOMORROW + SAFETY_MARGIN - timedelta(seconds=1)), True,
                     id="due just within half an hour after this time tomorrow: the safety margin"),
        pytest.param(replace(WATCH, reaches_alert_at=TOMORROW + SAFETY_MARGIN), False,
                     id="due half an hour after this time tomorrow: it lasts"),
        pytest.param(replace(WATCH, reaches_alert_at=EVENING - timedelta(hours=2)), True,
                     id="expected to be low already but no episode yet"),
        pytest.param(replace(WATCH, reaches_alert_at=None), False, id="no estimate: no guess"),
        pytest.param(replace(WATCH, in_low=True), False, id="already in a low episode: it had its low text"),
        pytest.param(replace(WATCH, reading=replace(WATCH.reading, muted=True)), False, id="a muted tracker"),
        pytest.param(replace(WATCH, reading=replace(WATCH.reading, device_type="SCALE")), False,
                     id="a scale the user did not include"),
        pytest.param(replace(WATCH, reading=replace(WATCH.reading, last_sync_at=EVENING - timedelta(days=31))),
                     False, id="a forgotten tracker"),
    ],
)
def test_which_trackers_are_reminded_of(candidate, reminded):
    assert (reminder([candidate]) is not None) is reminded


@pytest.mark.parametrize(
    ("settings", "now", "sent_today", "reminded"),
    [
        pytest.param(ACTIVE, EVENING + timedelta(hours=1), 0, True, id="an hour late is still sent"),
        pytest.param(ACTIVE, EVENING + timedelta(hours=1, seconds=1), 0, False, id="later than that is not"),
        pytest.param(replace(ACTIVE, paused=True), EVENING, 0, False, id="paused"),
        pytest.param(replace(ACTIVE, opted_out=True), EVENING, 0, False, id="replied STOP"),
        pytest.param(replace(ACTIVE, phone_verified=False), EVENING, 0, False, id="number not verified"),
        pytest.param(replace(ACTIVE, connected=False), EVENING, 0, False, id="platform disconnected"),
        pytest.param(ACTIVE, EVENING, 4, True, id="one text left under the daily cap"),
        pytest.param(ACTIVE, EVENING, 5, False, id="the daily cap reached"),
        pytest.param(replace(ACTIVE, quiet_start=time(19), quiet_end=time(7)), EVENING, 0, False,
                     id="in quiet hours: not held to the morning, not sent"),
        pytest.param(replace(ACTIVE, quiet_start=time(22), quiet_end=time(7)), EVENING, 0, True,
                     id="quiet hours later that night"),
    ],
)
def test_gates_quiet_hours_and_lateness(settings, now, sent_today, reminded):
    assert (reminder(settings=settings, now=now, sent_today=sent_today) is not None) is reminded


def test_one_text_names_every_tracker_due_and_none_that_lasts():
    band = replace(WATCH, reading=replace(WATCH.reading, device_key="2", product_name="Charge 6"))
    lasting = replace(WATCH, reading=replace(WATCH.reading, device_key="3", product_name="Inspire 3"),
                      reaches_alert_at=TOMORROW + timedelta(hours=5))  # lasts
    alert = reminder([WATCH, band, lasting])
    assert [device.product_name for device in alert.devices] == ["Pixel Watch 3", "Charge 6"]
    assert alert_text(alert) == "Charge tonight: your Pixel Watch 3 and Charge 6 should run low before this time tomorrow."


@pytest.mark.parametrize("count", [1, 2, 3, 6])
def test_the_reminder_with_the_longest_names_is_one_segment(count):
    due = [replace(WATCH, level=100, reading=replace(WATCH.reading, device_key=str(n), product_name=LONGEST_NAME))
           for n in range(count)]
    body, someone_elses = alert_text(reminder(due)), alert_text(reminder(due), LONGEST_KNOWN_AS)
    assert is_single_gsm7_segment(body), body
    # An extra number's phone gets the same form, naming the longest "Sam's" we allow.
    assert is_single_gsm7_segment(someone_elses), someone_elses
    assert someone_elses == body.replace("your", f"{LONGEST_KNOWN_AS}'s")
    if count >= 3:
        assert body == f"Charge tonight: {count} of your trackers should run low before this time tomorrow."


@pytest.mark.parametrize(
    ("zone", "now", "last", "following"),
    [
        pytest.param("America/New_York", EVENING, EVENING, EVENING + timedelta(days=1), id="at the moment itself"),
        pytest.param("America/New_York", EVENING - timedelta(seconds=1), EVENING - timedelta(days=1), EVENING,
                     id="a second before: yesterday's was the last"),
        pytest.param("Europe/London", datetime(2026, 3, 28, 21, tzinfo=UTC), datetime(2026, 3, 28, 20, tzinfo=UTC),
                     datetime(2026, 3, 29, 19, tzinfo=UTC), id="clocks go forward overnight: 20:00 is an hour earlier"),
        pytest.param("Not/AZone", datetime(2026, 6, 22, 21, tzinfo=UTC), datetime(2026, 6, 22, 20, tzinfo=UTC),
                     datetime(2026, 6, 23, 20, tzinfo=UTC), id="an unknown zone counts as UTC"),
    ],
)
def test_reminder_moments_follow_the_users_clock(zone, now, last, following):
    assert last_moment(EIGHT_PM, zone, now) == last
    assert next_moment(EIGHT_PM, zone, now) == following


def test_two_looks_the_same_evening_make_the_same_key_and_the_next_evening_another():
    first = reminder(now=EVENING)
    again = reminder(now=EVENING + timedelta(minutes=30))
    tomorrow = reminder([replace(WATCH, reaches_alert_at=TOMORROW + timedelta(hours=3))], now=TOMORROW)
    assert first.episode == again.episode == 20260622
    assert tomorrow.episode == 20260623
