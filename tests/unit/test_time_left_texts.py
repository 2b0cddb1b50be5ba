"""The low text says how long is left when the drain model is sure, and still fits one SMS segment."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app.rules.alerts import AlertSettings, DeviceReading, EpisodeState, decide
from app.texts.alert_texts import LONGEST_KNOWN_AS, alert_text, time_left
from app.texts.segments import is_single_gsm7_segment

NOW = datetime(2026, 6, 22, 12, 0, tzinfo=UTC)
ACTIVE = AlertSettings(phone_verified=True, connected=True, threshold_percent=50)
LONGEST_NAME = "Pixel Watch 3 LTE 45mm Matte Hazel Aluminium Case with Active Band"
LOW = DeviceReading("charge-6", "TRACKER", "Charge 6", "Low", 18, NOW, empty_at=NOW + timedelta(hours=14))


def low_text(reading, settings=ACTIVE):
    (alert,) = decide([reading], {}, settings, NOW, 0).alerts
    return alert_text(alert)


@pytest.mark.parametrize(
    ("hours", "words"),
    [
        pytest.param(0.2, "less than an hour left", id="under an hour"),
        pytest.param(0.99, "less than an hour left", id="just under an hour"),
        pytest.param(1, "about 1 hour left", id="one hour"),
        pytest.param(1.49, "about 1 hour left", id="an hour and a bit"),
        pytest.param(14.4, "about 14 hours left", id="fourteen hours"),
        pytest.param(35.99, "about 36 hours left", id="just under a day and a half"),
        pytest.param(36, "about 2 days left", id="a day and a half reads as two days"),
        pytest.param(24 * 9.6, "about 10 days left", id="ten days"),
    ],
)
def test_time_left_is_said_in_hours_then_days(hours, words):
    assert time_left(hours, "en") == words


def test_a_confident_forecast_puts_the_time_left_in_the_low_text():
    assert low_text(LOW) == "Battery low: your Charge 6 is at 18%, about 14 hours left. Charge it soon."


@pytest.mark.parametrize(
    ("reading", "expected"),
    [
        pytest.param(replace(LOW, empty_at=None), "Battery low: your Charge 6 is at 18%. Charge it soon so it keeps "
                     "tracking.", id="no confident forecast: the plain low text"),
        pytest.param(replace(LOW, empty_at=NOW), "Battery low: your Charge 6 is at 18%. Charge it soon so it keeps "
                     "tracking.", id="a forecast that says it is already empty promises nothing"),
        pytest.param(replace(LOW, battery_level=None), "Battery low: your Charge 6 has little charge left. Charge it "
                     "soon so it keeps tracking.", id="no level: no time either"),
        pytest.param(replace(LOW, battery_level=0, battery_status="Empty"), "Battery empty: your Charge 6 is at 0%. "
                     "Charge it now or it will stop tracking.", id="the empty text never carries a time"),
    ],
)
def test_without_a_sure_time_the_text_promises_none(reading, expected):
    assert low_text(reading) == expected


@pytest.mark.parametrize("hours", [0.5, 1, 9.6, 35.4, 36, 24 * 99])
@pytest.mark.parametrize("level", [1, 9, 50])
def test_the_low_text_with_the_longest_name_and_any_time_is_one_segment(hours, level):
    reading = replace(LOW, product_name=LONGEST_NAME, battery_level=level, empty_at=NOW + timedelta(hours=hours))
    body = low_text(reading)
    assert time_left(hours, "en") in body
    assert is_single_gsm7_segment(body), body
    (alert,) = decide([reading], {}, ACTIVE, NOW, 0).alerts
    someone_elses = alert_text(alert, LONGEST_KNOWN_AS)  # the same text on an extra number's phone
    assert is_single_gsm7_segment(someone_elses), someone_elses


def test_the_time_left_does_not_change_the_episode():
    decision = decide([LOW], {}, ACTIVE, NOW, 0)
    assert decision.states["charge-6"] == EpisodeState(episode=1, in_low=True)
