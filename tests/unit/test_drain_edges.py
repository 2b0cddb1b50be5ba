"""The drain model at its edges: where a stretch is cut (a charge seen by level or only by status, a lone wild reading,
a device left full on its charger, readings at the same instant), the slowest drain still forecast, the least evidence
that still counts, and how the day's blocks and the weighted median are read."""

from datetime import UTC, datetime, timedelta

import pytest

from app.rules.drain import Forecast, NoForecast, _weighted_median, forecast
from app.rules.drain.profile import blocks, day_profile, run_down
from app.rules.drain.stretches import Reading, Stretch, stretches

T0 = datetime(2026, 6, 22, 0, 0, tzinfo=UTC)
ALERT = 20


def at(hours):
    return T0 + timedelta(hours=hours)


def levels(*points, every=2.0, status=None):
    """Readings `every` hours apart from T0 with these levels."""
    return [Reading(at(index * every), level, status) for index, level in enumerate(points)]


def cut_into(readings):
    return [[level for _, level in stretch.points] for stretch in stretches(readings)]


# --- a charge seen only through the status ----------------------------------------------------------------------------

def test_a_status_that_goes_up_between_readings_without_levels_is_a_charge():
    readings = [Reading(at(0), 60, "Medium"), Reading(at(2), 50, "Medium"), Reading(at(3), None, "Low"),
                Reading(at(4), None, "High"), Reading(at(5), 52), Reading(at(7), 45)]
    assert cut_into(readings) == [[60, 50], [52, 45]]


def test_a_status_that_stays_the_same_is_no_charge():
    readings = [Reading(at(0), 60, "Medium"), Reading(at(2), 50, "Medium"), Reading(at(3), None, "Medium"),
                Reading(at(4), None, "Medium"), Reading(at(5), 48), Reading(at(7), 45)]
    assert cut_into(readings) == [[60, 50, 48, 45]]


def test_the_first_status_without_a_level_has_nothing_to_rise_from():
    readings = [Reading(at(0), 60), Reading(at(2), 50), Reading(at(3), None, "Low"), Reading(at(5), 48),
                Reading(at(7), 45)]
    assert cut_into(readings) == [[60, 50, 48, 45]]


def test_a_rise_is_measured_from_the_last_status_seen_not_the_last_levelled_one():
    # High with a level, then Low and Medium without one: Low -> Medium is a rise, so a charge.
    readings = [Reading(at(0), 60, "High"), Reading(at(2), 50, "High"), Reading(at(3), None, "Low"),
                Reading(at(4), None, "Medium"), Reading(at(5), 52), Reading(at(7), 45)]
    assert cut_into(readings) == [[60, 50], [52, 45]]


def test_an_unknown_status_between_two_known_ones_leaves_the_last_known_one_standing():
    readings = [Reading(at(0), 60), Reading(at(2), 50), Reading(at(3), None, "Low"), Reading(at(3.5), None, "?"),
                Reading(at(4), None, "High"), Reading(at(5), 52), Reading(at(7), 45)]
    assert cut_into(readings) == [[60, 50], [52, 45]]


def test_statuses_before_any_level_cut_nothing_that_counts_and_the_levels_after_still_count():
    readings = [Reading(at(0), None, "Low"), Reading(at(1), None, "High"), Reading(at(2), 90), Reading(at(4), 80)]
    (stretch,) = stretches(readings)
    assert (stretch.start, stretch.end, stretch.drop) == (at(2), at(4), 10)


# --- what a stretch is ------------------------------------------------------------------------------------------------

def test_readings_at_one_instant_make_no_stretch():
    assert stretches([Reading(at(0), 80), Reading(at(0), 79)]) == []


def test_two_readings_at_one_instant_inside_a_stretch_do_not_break_its_rate():
    (stretch,) = stretches([Reading(at(0), 80), Reading(at(0), 79), Reading(at(4), 72)])
    assert stretch.rate == pytest.approx(2.0, abs=0.3)
    assert (stretch.start, stretch.end) == (at(0), at(4))


def test_a_stretch_drops_by_its_first_level_less_its_last_and_never_below_zero():
    (falling,) = stretches(levels(80, 75, 70))
    (rising,) = stretches(levels(50, 52, 53))  # rises under CHARGE_RISE are the gauge's noise
    assert falling.drop == 10
    assert rising.drop == 0


def test_a_device_left_full_on_its_charger_starts_draining_at_the_last_full_reading():
    (stretch,) = stretches(levels(100, 100, 90, 80))
    assert stretch.start == at(2)
    assert [level for _, level in stretch.points] == [100, 90, 80]


def test_a_device_only_ever_seen_full_makes_no_stretch():
    assert stretches(levels(100, 100)) == []
    assert stretches(levels(100, 100, 100)) == []


# --- a lone wild reading, at the edge of CHARGE_RISE (5 points) ------------------------------------------------------

def test_a_dip_of_exactly_five_points_between_agreeing_neighbours_is_a_spike_and_left_out():
    assert cut_into(levels(60, 55, 60, 58, 56)) == [[60, 60, 58, 56]]


def test_a_dip_of_four_points_is_kept_as_a_reading():
    assert cut_into(levels(60, 56, 60, 58, 56)) == [[60, 56, 60, 58, 56]]


def test_neighbours_five_points_apart_do_not_agree_so_the_middle_reading_is_kept():
    assert cut_into(levels(60, 40, 55, 50)) == [[60, 40], [55, 50]]


# --- the forecast's thresholds ----------------------------------------------------------------------------------------

def test_a_device_draining_exactly_the_slowest_rate_still_gets_a_forecast():
    readings = levels(80, 79, 78, 77, 76, 75, 74, every=5.0)  # 0.2 points an hour over 30 hours
    result = forecast(readings, ALERT, at(30))
    assert isinstance(result, Forecast)
    assert result.rate_per_hour == pytest.approx(0.2)


def test_enough_hours_but_under_four_points_of_discharge_gives_no_forecast():
    readings = levels(80, 79, 78, 77, every=3.5)  # 10.5 hours, 3 points
    assert forecast(readings, ALERT, at(10.5)) == NoForecast("too little discharge")


def test_eighteen_hours_of_steady_discharge_is_exactly_enough_to_be_confident():
    readings = levels(*range(90, 53, -4), every=2.0)  # 10 readings, 18 hours, 2 points an hour
    result = forecast(readings, ALERT, at(18))
    assert isinstance(result, Forecast)
    assert result.evidence_hours == 18.0
    assert result.confident


def test_one_low_last_reading_moves_the_forecast_little():
    readings = levels(80, 78, 76, 74, 72, 60, every=2.0)
    result = forecast(readings, ALERT, at(10))
    assert isinstance(result, Forecast)
    assert result.level == 60
    plain = (60 - ALERT) / result.rate_per_hour
    assert result.hours_left(at(10)) > plain + 1, "anchored on the stretch's recent readings, not the last one alone"


# --- the device's rate is the weighted median of its stretches -------------------------------------------------------

@pytest.mark.parametrize(
    ("rates", "weights", "median"),
    [
        ([1.0, 2.0, 3.0], [1, 1, 1], 2.0),
        ([1.0, 2.0, 3.0], [1, 1, 5], 3.0),
        ([1.0, 2.0, 3.0], [5, 1, 1], 1.0),
        ([1.0, 2.0], [1, 1], 1.0),  # exactly half the weight reached: the lower one
        ([1.0, 2.0], [0.4, 0.6], 2.0),
        ([4.0, 3.0, 2.0, 1.0], [1, 1, 1, 1], 2.0),
    ],
)
def test_the_weighted_median_is_the_first_rate_that_reaches_half_the_weight(rates, weights, median):
    assert _weighted_median(rates, weights) == median


# --- the day in blocks of four hours (UTC) ---------------------------------------------------------------------------

def test_a_span_is_split_at_each_four_hour_block_of_the_utc_day():
    start = datetime(2026, 6, 22, 1, 30, 45, 500000, tzinfo=UTC)
    split = list(blocks(start, datetime(2026, 6, 22, 9, 0, tzinfo=UTC)))
    assert [block for block, _ in split] == [0, 1, 2]
    to_four = (datetime(2026, 6, 22, 4, 0, tzinfo=UTC) - start).total_seconds() / 3600  # to 04:00:00.000000 exactly
    assert [hours for _, hours in split] == [to_four, 4.0, 1.0]


def test_running_down_less_than_a_point_still_takes_time():
    profile = (2.0,) * 6
    assert run_down(0.5, T0, profile) == T0 + timedelta(minutes=15)
    assert run_down(0, T0, profile) == T0


def test_running_down_looks_at_most_a_year_ahead():
    assert run_down(10_000.0, T0, (0.1,) * 6) == T0 + timedelta(days=365)


# --- what counts, and how the day's profile leans -------------------------------------------------------------------

def test_a_stretch_that_ended_exactly_fourteen_days_ago_still_counts_as_evidence():
    now = at(14 * 24)
    old = [Reading(at(-10 + 2 * step), 90 - 4 * step) for step in range(6)]  # 10 h ending at T0: 14 days before now
    recent = [Reading(now - timedelta(hours=10 - 2 * step), 90 - 4 * step) for step in range(6)]
    result = forecast(old + recent, ALERT, now)
    assert isinstance(result, Forecast)
    assert result.evidence_hours == 20.0
    assert result.confident
    assert forecast(old + recent, ALERT, now + timedelta(seconds=1)).evidence_hours == 10.0


def test_a_block_seen_not_draining_night_after_night_still_drains_at_a_quarter_of_the_rate():
    # Ten days flat from midnight to 08:00, then 4 points an hour to midnight.
    days = [Stretch(at(24 * day), at(24 * day + 24), 4.0, 64,
                    ((at(24 * day), 95), (at(24 * day + 8), 95), (at(24 * day + 24), 31))) for day in range(10)]
    profile = day_profile(days, [1.0] * 10, 4.0)
    assert profile[:2] == (1.0, 1.0)  # 00:00-08:00: what was seen (0.92 with the prior) floored at 4 / 4
    assert profile[2:] == pytest.approx((4.0,) * 4)  # 08:00-24:00: exactly the drain seen
