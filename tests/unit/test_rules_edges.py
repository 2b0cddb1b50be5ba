"""The pure rules at their edges: the exact second quiet hours begin and end, levels 0, the alert level and 100,
the longest name, the settings a new account starts with, which text the daily cap keeps, and the user's clock.

These state decisions (is it quiet, which kind, which device, which text survives the cap), not the words.
"""

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from app.rules.alerts import (
    URGENCY,
    AlertSettings,
    EpisodeState,
    decide,
    decide_silence,
    quiet_hours_end,
)
from app.rules.batching import split_into_batches
from app.rules.devices import (
    battery_state,
    device_kind,
    needs_charge,
    unwatched_because,
)
from app.rules.drain import Forecast, rounded_time_left
from app.rules.reminders import Candidate, decide_reminder, last_moment
from app.rules.timezones import clock, local_midnight
from app.texts.names import MAX_PRODUCT_NAME, display_name
from tests.support.alert_readings import NOW, reading

ACTIVE = AlertSettings(phone_verified=True, connected=True)
LONDON = "Europe/London"  # UTC+1 in June



def london(hour, minute=0, second=0, day=22):
    """A moment on a London wall clock in June 2026, as UTC."""
    return datetime(2026, 6, day, hour, minute, second, tzinfo=ZoneInfo(LONDON)).astimezone(UTC)


# --- quiet hours, to the second ------------------------------------------------------------------------------------

OVERNIGHT = replace(ACTIVE, time_zone=LONDON, quiet_start=time(22), quiet_end=time(7))
AFTERNOON = replace(ACTIVE, time_zone=LONDON, quiet_start=time(13), quiet_end=time(15))


@pytest.mark.parametrize(
    ("settings", "now", "held_until"),
    [
        pytest.param(OVERNIGHT, london(21, 59, 59), None, id="21:59:59 is not yet quiet"),
        pytest.param(OVERNIGHT, london(22), london(7, day=23), id="22:00:00 is quiet: held until 07:00 tomorrow"),
        pytest.param(OVERNIGHT, london(23, 59, 59), london(7, day=23), id="23:59:59 is quiet"),
        pytest.param(OVERNIGHT, london(0, day=23), london(7, day=23), id="midnight is quiet: held until 07:00 today"),
        pytest.param(OVERNIGHT, london(6, 59, 59, day=23), london(7, day=23), id="06:59:59 is still quiet"),
        pytest.param(OVERNIGHT, london(7, day=23), None, id="07:00:00 is no longer quiet"),
        pytest.param(AFTERNOON, london(12, 59, 59), None, id="a daytime window: 12:59:59 is not yet quiet"),
        pytest.param(AFTERNOON, london(13), london(15), id="a daytime window: 13:00:00 is quiet until 15:00"),
        pytest.param(AFTERNOON, london(14, 59, 59), london(15), id="a daytime window: 14:59:59 is quiet"),
        pytest.param(AFTERNOON, london(15), None, id="a daytime window: 15:00:00 is no longer quiet"),
        pytest.param(AFTERNOON, london(23), None, id="a daytime window: the night after it is not quiet"),
        pytest.param(AFTERNOON, london(3), None, id="a daytime window: the night before it is not quiet"),
    ],
)
def test_quiet_hours_begin_and_end_on_the_second(settings, now, held_until):
    assert quiet_hours_end(settings, now) == held_until


def test_the_end_of_quiet_hours_is_given_in_utc_for_the_outbox():
    held_until = quiet_hours_end(OVERNIGHT, london(23))
    assert held_until.utcoffset() == timedelta(0)
    assert held_until == datetime(2026, 6, 23, 6, 0, tzinfo=UTC)


def test_a_low_text_decided_at_the_first_quiet_second_is_held_and_one_a_second_earlier_goes_now():
    low = reading(battery_status="Low", battery_level=15)
    (held,) = decide([low], {}, OVERNIGHT, london(22), 0).alerts
    (sent,) = decide([low], {}, OVERNIGHT, london(21, 59, 59), 0).alerts
    assert held.send_after == london(7, day=23)
    assert sent.send_after is None


# --- the settings a new account starts with -------------------------------------------------------------------------

def test_a_new_account_alerts_at_20_percent_five_texts_a_day_on_utc_with_no_quiet_hours_and_no_scales():
    settings = AlertSettings()
    assert settings.threshold_percent == 20
    assert settings.daily_cap == 5
    assert settings.time_zone == "UTC"
    assert (settings.quiet_start, settings.quiet_end) == (None, None)
    assert settings.include_scales is False


def test_a_new_account_gets_no_text_until_its_phone_is_confirmed_and_its_tracker_connected():
    settings = AlertSettings()
    assert (settings.phone_verified, settings.connected, settings.paused, settings.opted_out) == (
        False, False, False, False)
    low = reading(battery_status="Low", battery_level=15)
    assert decide([low], {}, settings, NOW, 0).alerts == ()
    assert len(decide([low], {}, replace(settings, phone_verified=True, connected=True), NOW, 0).alerts) == 1


def test_a_new_device_state_has_no_episode_open_and_no_silence():
    state = EpisodeState()
    assert (state.episode, state.in_low, state.empty_sent, state.silence, state.silent_sent) == (0, False, False, 0,
                                                                                              False)


def test_the_default_alert_level_is_the_edge_of_low():
    at_level = reading(battery_status=None, battery_level=20)
    above = reading(battery_status=None, battery_level=21)
    assert [text.kind for text in decide([at_level], {}, ACTIVE, NOW, 0).alerts] == ["low"]
    assert decide([above], {}, ACTIVE, NOW, 0).alerts == ()


# --- the daily cap keeps the most urgent ----------------------------------------------------------------------------

def test_the_daily_cap_keeps_empty_before_low_before_silent_before_the_reminder():
    assert sorted(URGENCY, key=URGENCY.__getitem__) == ["empty", "low", "silent", "reminder"]


def test_with_room_for_one_text_the_empty_tracker_is_texted_not_the_low_one_listed_first():
    low = reading("low-one", battery_status=None, battery_level=15)
    empty = reading("empty-one", battery_status=None, battery_level=0)
    decision = decide([low, empty], {}, replace(ACTIVE, daily_cap=3), NOW, 2)
    assert [(text.kind, text.device_key) for text in decision.alerts] == [("empty", "empty-one")]
    assert decision.dropped_for_cap == 1


def test_with_room_for_two_of_three_the_low_one_listed_last_is_dropped_after_the_empty_one():
    devices = [reading("low-a", battery_status=None, battery_level=10),
               reading("low-b", battery_status=None, battery_level=12),
               reading("empty-c", battery_status=None, battery_level=0)]
    decision = decide(devices, {}, replace(ACTIVE, daily_cap=2), NOW, 0)
    assert [(text.kind, text.device_key) for text in decision.alerts] == [("empty", "empty-c"), ("low", "low-a")]
    assert decision.dropped_for_cap == 1


@pytest.mark.parametrize(("sent_today", "kept"), [(4, 1), (5, 0), (6, 0)])
def test_the_cap_counts_the_days_texts_to_the_last_one(sent_today, kept):
    low = reading(battery_status="Low", battery_level=15)
    assert len(decide([low], {}, ACTIVE, NOW, sent_today).alerts) == kept


# --- an unwatched device does not hide the ones after it -----------------------------------------------------------

def test_a_scale_listed_first_does_not_stop_the_low_tracker_after_it_being_texted():
    scale = reading("aria", device_type="SCALE", battery_status="Low", battery_level=5)
    tracker = reading("charge-6", battery_status="Low", battery_level=15)
    decision = decide([scale, tracker], {}, ACTIVE, NOW, 0)
    assert [(text.kind, text.device_key) for text in decision.alerts] == [("low", "charge-6")]
    assert set(decision.states) == {"charge-6"}


def test_a_scale_listed_first_does_not_stop_the_silent_tracker_after_it_being_texted():
    scale = reading("aria", device_type="SCALE", last_sync_at=NOW - timedelta(days=2))
    tracker = reading("charge-6", last_sync_at=NOW - timedelta(days=2))
    decision = decide_silence([scale, tracker], {}, ACTIVE, NOW, 0)
    assert [(text.kind, text.device_key) for text in decision.alerts] == [("silent", "charge-6")]


# --- the clock the rules are given ---------------------------------------------------------------------------------

class NoOffset(tzinfo):
    """A zone that knows no offset: a clock reading in it is as unplaced as a naive one."""

    def utcoffset(self, moment):
        return None


@pytest.mark.parametrize("now", [datetime(2026, 6, 22, 12), datetime(2026, 6, 22, 12, tzinfo=NoOffset())],
                         ids=["naive", "a zone with no offset"])
def test_the_rules_refuse_a_time_that_is_not_placed_on_the_utc_line(now):
    with pytest.raises(ValueError, match="^now must be a timezone-aware datetime$"):
        decide([reading()], {}, ACTIVE, now, 0)
    with pytest.raises(ValueError, match="^now must be a timezone-aware datetime$"):
        decide_silence([reading()], {}, ACTIVE, now, 0)


# --- devices: levels 0, the alert level and 100; the longest name; why one is not watched --------------------------

@pytest.mark.parametrize(
    ("status", "level", "needs"),
    [
        (None, 0, True), (None, 1, True), (None, 20, True), (None, 21, False), (None, 100, False),
        ("Low", None, True), ("Empty", None, True), ("Medium", None, False), ("High", 5, True), ("Low", 90, True),
        (None, None, False),
    ],
)
def test_the_dashboard_marks_red_exactly_what_the_alerts_call_low_or_empty(status, level, needs):
    assert needs_charge(status, level, 20) is needs


@pytest.mark.parametrize(
    ("status", "level", "battery"),
    [
        ("Medium", 25, "neither"), ("Medium", 29, "neither"), ("Medium", 30, "charged"), (None, None, "neither"),
        (None, 95, "charged"), ("High", None, "charged"), ("weird", None, "neither"), (None, 0, "empty"),
    ],
)
def test_between_the_alert_level_and_ten_points_above_it_a_battery_is_neither_low_nor_charged(status, level, battery):
    assert battery_state(status, level, 20) == battery


def test_at_an_alert_level_of_95_only_a_full_battery_counts_as_charged():
    assert battery_state(None, 99, 95) == "neither"
    assert battery_state(None, 100, 95) == "charged"


def test_a_device_with_no_type_has_no_kind():
    assert device_kind(None) == ""
    assert device_kind("  scale ") == "SCALE"


@pytest.mark.parametrize(
    ("device_type", "synced_days_ago", "include_scales", "why"),
    [
        ("SCALE", 0, False, "scale"),
        ("SCALE", 0, True, None),
        ("TRACKER", 30, False, None),
        ("TRACKER", 31, False, "forgotten"),
        ("SCALE", 31, True, "forgotten"),
    ],
)
def test_why_a_device_is_not_watched(device_type, synced_days_ago, include_scales, why):
    assert unwatched_because(device_type, NOW - timedelta(days=synced_days_ago), include_scales, NOW) == why


def test_a_device_last_synced_exactly_30_days_ago_is_still_watched_and_a_second_later_forgotten():
    synced = NOW - timedelta(days=30)
    assert unwatched_because("TRACKER", synced, False, NOW) is None
    assert unwatched_because("TRACKER", synced, False, NOW + timedelta(seconds=1)) == "forgotten"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        pytest.param("W" * 40, "W" * 40, id="a name of exactly the longest length is kept whole"),
        pytest.param("Pixel Watch 3 LTE 45mm Matte Hazel Alumi", "Pixel Watch 3 LTE 45mm Matte Hazel Alumi",
                     id="forty characters with spaces are kept whole"),
        pytest.param("W" * 40 + " Band", "W" * 40, id="a word that ends at the limit is kept"),
        pytest.param("A " + "W" * 39 + " Band", "A", id="a word that would run past the limit is left out"),
        pytest.param("W" * 45, "W" * 40, id="one long word is cut at the limit"),
        pytest.param("Pixel Watch 3 LTE 45mm Matte Hazel Aluminium Case", "Pixel Watch 3 LTE 45mm Matte Hazel",
                     id="a long name is cut at a word"),
    ],
)
def test_the_longest_name_a_text_carries_is_40_characters_cut_at_a_word(name, shown):
    assert MAX_PRODUCT_NAME == 40
    assert display_name(name, "TRACKER", MAX_PRODUCT_NAME) == shown


# --- batches ---------------------------------------------------------------------------------------------------------

def test_a_batch_of_one_user_is_allowed_and_zero_is_not():
    assert split_into_batches([7, 8, 9], 1) == [[7], [8], [9]]
    with pytest.raises(ValueError, match="at least one user"):
        split_into_batches([7], 0)


# --- the user's clock ------------------------------------------------------------------------------------------------

def test_the_users_day_starts_at_their_own_midnight():
    late_in_new_york = datetime(2026, 6, 23, 2, 30, tzinfo=UTC)  # 22:30 on the 22nd in New York
    midnight = local_midnight("America/New_York", late_in_new_york)
    assert midnight == datetime(2026, 6, 22, 4, 0, tzinfo=UTC)
    assert midnight.utcoffset() == timedelta(hours=-4)


def test_an_unknown_zone_starts_the_day_at_utc_midnight():
    assert local_midnight("Mars/Olympus_Mons", datetime(2026, 6, 22, 23, 59, tzinfo=UTC)) == datetime(
        2026, 6, 22, tzinfo=UTC)


def test_the_time_is_shown_on_the_users_wall_clock():
    assert clock(datetime(2026, 6, 22, 23, 5, tzinfo=UTC), "Asia/Tokyo") == "08:05"
    assert clock(datetime(2026, 6, 22, 23, 5, tzinfo=UTC), None) == "23:05"


# --- the evening reminder ------------------------------------------------------------------------------------------

def test_the_last_reminder_moment_is_on_the_users_calendar_not_utcs():
    # 20:30 on 7 December in Los Angeles is already the 8th in UTC: the 23:00 reminder last fell on the 6th.
    now = datetime(2026, 12, 8, 4, 30, tzinfo=UTC)
    assert last_moment(time(23), "America/Los_Angeles", now) == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


def test_a_scale_the_user_included_is_named_in_the_evening_reminder():
    settings = replace(ACTIVE, include_scales=True, time_zone=LONDON)
    now = london(20, 5)
    scale = Candidate(reading("aria", device_type="SCALE", product_name="Aria Air", battery_level=25,
                              last_sync_at=now - timedelta(hours=1)),
                      level=25, reaches_alert_at=now + timedelta(hours=5))
    reminder = decide_reminder([scale], settings, time(20), now, 0)
    assert reminder is not None and reminder.kind == "reminder"
    assert decide_reminder([scale], replace(settings, include_scales=False), time(20), now, 0) is None


# --- the drain model's time left -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("hours", "said"),
    [(0.0, ("under an hour", 0)), (0.99, ("under an hour", 0)), (1.0, ("hours", 1)), (35.4, ("hours", 35)),
     (36.0, ("days", 2)), (59.9, ("days", 2)), (60.0, ("days", 2)), (61.0, ("days", 3))],
)
def test_time_left_is_said_in_hours_under_a_day_and_a_half_then_in_days(hours, said):
    assert rounded_time_left(hours) == said


def test_a_forecast_never_expects_a_level_below_zero():
    forecast = Forecast(rate_per_hour=2.0, level=10, read_at=NOW, reaches_alert_at=NOW, empty_at=NOW + timedelta(hours=5),
                        confident=True, evidence_hours=24.0)
    assert forecast.level_at(NOW + timedelta(hours=2)) == pytest.approx(6.0)
    assert forecast.level_at(NOW + timedelta(hours=5)) == pytest.approx(0.0)
    assert forecast.level_at(NOW + timedelta(days=3)) == 0.0
