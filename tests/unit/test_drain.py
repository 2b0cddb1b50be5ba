"""The drain model on made-up histories: how fast a device drains, and when it reaches the alert level."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from app.rules.drain import Forecast, NoForecast, Reading, forecast

NOW = datetime(2026, 6, 22, 20, 0, tzinfo=UTC)
ALERT = 20


def drained(rate, hours, every=1.0, start=100.0, noise=0, seed=1, charge_to=100, end=NOW, status=None):
    """Readings every `every` hours (a number or a (low, high) range) up to `end`, draining `rate` %/h,
    charged back to `charge_to` whenever it would reach 5 %; the gauge shows integers, +- `noise`."""
    rng = random.Random(seed)
    readings, level, elapsed = [], start, 0.0
    moments = []
    while elapsed <= hours:
        moments.append(elapsed)
        elapsed += rng.uniform(*every) if isinstance(every, tuple) else every
    previous = 0.0
    for moment in moments:
        level -= rate * (moment - previous)
        previous = moment
        if level < 5:
            level = charge_to
        shown = max(0, min(100, round(level) + rng.randint(-noise, noise)))
        readings.append(Reading(end - timedelta(hours=hours - moment), shown, status))
    return readings


def hours_to_alert(result, now=NOW):
    assert isinstance(result, Forecast), result
    return result.hours_left(now)


@pytest.mark.parametrize("rate", [1, 2, 5, 10, 20])
def test_a_steady_drain_is_measured_at_its_rate(rate):
    result = forecast(drained(rate, hours=48), ALERT, NOW)
    assert isinstance(result, Forecast)
    assert result.rate_per_hour == pytest.approx(rate, rel=0.1)
    assert result.confident
    assert hours_to_alert(result, result.read_at) == pytest.approx((result.level - ALERT) / result.rate_per_hour)


@pytest.mark.parametrize(
    ("label", "history", "rate", "tolerance"),
    [
        pytest.param("daily charge", drained(4, hours=24 * 7, charge_to=100), 4, 0.1, id="charged every day"),
        pytest.param("irregular", drained(3, hours=24 * 5, every=(1, 8), seed=7), 3, 0.15,
                     id="syncs every 1 to 8 hours"),
        pytest.param("noise", drained(2, hours=24 * 4, noise=2, seed=3), 2, 0.15, id="a gauge off by two points"),
        pytest.param("noise fast", drained(12, hours=48, noise=2, seed=4), 12, 0.15, id="noise on a fast drain"),
    ],
)
def test_habits_and_sync_patterns_still_give_the_rate(label, history, rate, tolerance):
    result = forecast(history, ALERT, NOW)
    assert isinstance(result, Forecast), label
    assert result.rate_per_hour == pytest.approx(rate, rel=tolerance)


def test_one_wild_reading_does_not_move_the_rate():
    history = drained(3, hours=24)
    history[10] = Reading(history[10].read_at, 5)
    history[11] = Reading(history[11].read_at, history[11].level)  # back to the trend: a rise, read as a charge
    result = forecast(history, ALERT, NOW)
    assert result.rate_per_hour == pytest.approx(3, rel=0.1)


def test_a_gap_of_days_is_not_read_as_a_slow_drain():
    before = drained(5, hours=10, end=NOW - timedelta(days=3), start=90)
    after = drained(5, hours=8, start=70)
    result = forecast(before + after, ALERT, NOW)
    assert result.rate_per_hour == pytest.approx(5, rel=0.1)


def test_recent_stretches_weigh_more_than_old_habits():
    old = drained(3, hours=72, end=NOW - timedelta(days=8))
    recent = drained(6, hours=72)
    assert forecast(old + recent, ALERT, NOW).rate_per_hour == pytest.approx(6, rel=0.1)


def test_hours_on_the_charger_at_full_are_not_discharge():
    on_charger = [Reading(NOW - timedelta(hours=30 - hour), 100) for hour in range(10)]
    result = forecast(on_charger + drained(4, hours=20), ALERT, NOW)
    assert result.rate_per_hour == pytest.approx(4, rel=0.1)


@pytest.mark.parametrize(
    ("history", "reason"),
    [
        pytest.param([], "no levels", id="no readings at all"),
        pytest.param([Reading(NOW - timedelta(hours=hours), None, "Medium") for hours in range(48)], "no levels",
                     id="a status-only device"),
        pytest.param([Reading(NOW - timedelta(hours=3), 80), Reading(NOW, 74)], "too little discharge",
                     id="a new device with two readings"),
        pytest.param(drained(3, hours=5.99), "too little discharge", id="just under six hours of discharge"),
        pytest.param(drained(0.5, hours=6.5), "too little discharge", id="six hours but under four points"),
        pytest.param([Reading(NOW - timedelta(hours=hours), 80) for hours in range(48)], "not draining",
                     id="a device in a drawer"),
        pytest.param(drained(3, hours=24, end=NOW - timedelta(hours=36, seconds=1)), "stale",
                     id="last heard of over 36 hours ago"),
        pytest.param([Reading(NOW - timedelta(hours=hours * 13), 80 - hours * 20) for hours in range(3)],
                     "too little discharge", id="readings further apart than 12 hours make no stretch"),
    ],
)
def test_too_thin_data_give_no_estimate_and_say_why(history, reason):
    assert forecast(history, ALERT, NOW) == NoForecast(reason)


def test_exactly_six_hours_and_four_points_is_enough():
    history = [Reading(NOW - timedelta(hours=6), 60), Reading(NOW - timedelta(hours=3), 58), Reading(NOW, 56)]
    result = forecast(history, ALERT, NOW)
    assert isinstance(result, Forecast)
    assert not result.confident


def test_exactly_36_hours_old_still_has_an_estimate():
    assert isinstance(forecast(drained(3, hours=24, end=NOW - timedelta(hours=36)), ALERT, NOW), Forecast)


def test_readings_exactly_12_hours_apart_are_one_stretch():
    history = [Reading(NOW - timedelta(hours=12), 80), Reading(NOW, 56)]
    assert forecast(history, ALERT, NOW).rate_per_hour == pytest.approx(2)


@pytest.mark.parametrize(("rise", "one_stretch"), [(4, True), (5, False)])
def test_a_rise_of_five_points_is_a_charge_and_four_is_noise(rise, one_stretch):
    first = [Reading(NOW - timedelta(hours=12 - hour), 80 - hour) for hour in range(6)]
    second = [Reading(NOW - timedelta(hours=6 - hour), 75 + rise - hour) for hour in range(7)]
    result = forecast(first + second, ALERT, NOW)
    assert result.evidence_hours == pytest.approx(12 if one_stretch else 11)


def test_a_status_going_up_without_a_level_is_a_charge():
    before = [Reading(NOW - timedelta(hours=12 - hour), 40 - hour, "Medium") for hour in range(6)]
    charged = [Reading(NOW - timedelta(hours=6, minutes=30), None, "High")]
    after = [Reading(NOW - timedelta(hours=6 - hour), 35 - hour, "Medium") for hour in range(7)]
    assert forecast(before + charged + after, ALERT, NOW).evidence_hours == pytest.approx(11)


def test_a_status_going_up_beside_a_level_that_does_not_rise_is_no_charge():
    history = [Reading(NOW - timedelta(hours=12 - hour), 30 - hour, "Low" if hour % 2 else "Medium")
               for hour in range(13)]
    assert forecast(history, ALERT, NOW).evidence_hours == pytest.approx(12)


@pytest.mark.parametrize("wild", [-10, 10])
def test_a_lone_wild_reading_is_left_out_and_a_real_charge_is_not(wild):
    history = [Reading(NOW - timedelta(hours=12 - hour), 80 - 2 * hour) for hour in range(13)]
    history[6] = Reading(history[6].read_at, history[6].level + wild)
    result = forecast(history, ALERT, NOW)
    assert (result.evidence_hours, result.rate_per_hour) == (pytest.approx(12), pytest.approx(2))
    charged = history[:6] + [Reading(history[6].read_at, 95)] + [
        Reading(reading.read_at, 95 - 2 * (index + 1)) for index, reading in enumerate(history[7:])]
    assert forecast(charged, ALERT, NOW).evidence_hours == pytest.approx(11)


@pytest.mark.parametrize(
    ("level", "hours_left", "hours_to_empty"),
    [
        pytest.param(0, 0, 0, id="at 0 % it has reached both"),
        pytest.param(20, 0, 5, id="exactly at the alert level"),
        pytest.param(100, 20, 25, id="full"),
    ],
)
def test_levels_at_the_edges(level, hours_left, hours_to_empty):
    drain_to = 20 if level == 100 else level  # a full device was just charged after draining 4 %/h
    history = [Reading(NOW - timedelta(hours=9 - hour), drain_to + 4 * (8 - hour)) for hour in range(9)]
    history.append(Reading(NOW, level) if level == 100 else Reading(NOW, max(0, drain_to - 4)))
    if level != 100:
        history = [Reading(reading.read_at + timedelta(hours=1), reading.level) for reading in history[:-1]]
    result = forecast(history, ALERT, NOW)
    assert result.level == level
    assert result.hours_left(NOW) == pytest.approx(hours_left, abs=0.01)
    assert (result.empty_at - NOW) / timedelta(hours=1) == pytest.approx(hours_to_empty, abs=0.01)


def test_a_level_outside_0_to_100_is_unknown():
    history = drained(4, hours=24) + [Reading(NOW + timedelta(seconds=1), 101)]
    assert forecast(history, ALERT, NOW + timedelta(seconds=1)).read_at == NOW


def test_a_forecast_counts_from_the_last_reading_not_from_now():
    result = forecast(drained(4, hours=24, end=NOW - timedelta(hours=3)), ALERT, NOW)
    assert result.hours_left(NOW) == pytest.approx(result.hours_left(result.read_at) - 3)
    assert result.level_at(NOW) == pytest.approx(result.level - 3 * result.rate_per_hour)


@pytest.mark.parametrize(("seed", "confident"), [(1, True), (2, False)])
def test_confidence_needs_stretches_that_agree(seed, confident):
    rng = random.Random(seed)
    rates = [4, 4.2, 3.9] if confident else [2, 9, 4]
    history = []
    for day, rate in enumerate(rates):
        end = NOW - timedelta(days=len(rates) - 1 - day)
        history += drained(rate, hours=14, end=end, seed=rng.randint(0, 99))
    assert forecast(history, ALERT, NOW).confident is confident


def day_and_night(days, day_rate, night_rate, end=NOW):
    """Hourly readings over `days` days: `day_rate` %/h from 07:00 to 23:00 UTC, `night_rate` at night, charged
    back to 100 when it would pass 10 %."""
    readings, level = [], 100.0
    start = end - timedelta(days=days)
    for hour in range(days * 24 + 1):
        moment = start + timedelta(hours=hour)
        readings.append(Reading(moment, round(level)))
        level -= night_rate if moment.hour >= 23 or moment.hour < 7 else day_rate
        level = 100.0 if level < 10 else level
    return readings


def test_a_device_that_drains_less_at_night_is_expected_to_last_longer_overnight():
    evening = datetime(2026, 6, 22, 22, 0, tzinfo=UTC)
    result = forecast(day_and_night(7, day_rate=4, night_rate=1, end=evening), ALERT, evening)
    overnight = result.level_at(evening) - result.level_at(evening + timedelta(hours=8))  # truly 11 points
    by_day = result.level_at(evening + timedelta(hours=9)) - result.level_at(evening + timedelta(hours=17))  # 32
    flat = 8 * result.rate_per_hour
    assert overnight < 0.7 * by_day
    assert overnight < 0.75 * flat
