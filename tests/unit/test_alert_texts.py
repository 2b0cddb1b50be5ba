"""The words of decided alerts in English: what each names and tells, and that each fits one SMS segment, the
longest device name and the longest name an extra number knows included (every language: test_text_fit.py)."""

from dataclasses import replace
from datetime import timedelta

import pytest

from app.rules.alerts import AlertSettings, decide, decide_silence
from app.texts.alert_texts import alert_text
from app.texts.segments import is_single_gsm7_segment
from tests.support.alert_readings import NOW, reading

ACTIVE = AlertSettings(phone_verified=True, connected=True)
LONGEST_NAME = "Pixel Watch 3 LTE 45mm Matte Hazel Aluminium Case with Active Band"
CUT_NAME = "Pixel Watch 3 LTE 45mm Matte Hazel"



LOW = reading(battery_status="Low", battery_level=18)
EMPTY = reading(battery_status="Empty", battery_level=None)


@pytest.mark.parametrize(
    ("device", "words"),
    [
        pytest.param(LOW, ["Charge 6", "18%", "Charge it"], id="a low text names the device, its level and what to do"),
        pytest.param(replace(LOW, battery_level=None), ["Charge 6", "Charge it"], id="a low text without a level"),
        pytest.param(
            reading(battery_status="Empty", battery_level=3), ["Charge 6", "3%", "Charge it now"],
            id="an empty text at 3 percent",
        ),
        pytest.param(EMPTY, ["Charge 6", "Charge it now"], id="an empty text without a level"),
        pytest.param(replace(LOW, product_name=None), ["your tracker"], id="a tracker with no product name"),
        pytest.param(
            replace(LOW, product_name=None, device_type="WATCH"), ["your watch"],
            id="a watch with no product name",
        ),
        pytest.param(
            replace(LOW, product_name="  ", device_type="RING"), ["your device"],
            id="an unknown device with a blank name",
        ),
        pytest.param(replace(LOW, product_name="\U0001F50B"), ["your tracker"], id="a name of only emoji falls back"),
        pytest.param(
            replace(LOW, product_name="Versa\u2122 4 \u2013 \u201cBlack\u201d \U0001F50B"), ['Versa 4 - "Black"'],
            id="typographic characters in a name become plain ones",
        ),
        pytest.param(
            replace(LOW, product_name=LONGEST_NAME), [CUT_NAME, "18%"],
            id="a long low name is cut",
        ),
        pytest.param(
            reading(product_name=LONGEST_NAME, battery_status="Empty", battery_level=100), [CUT_NAME, "100%"],
            id="a long empty name at the widest level is cut",
        ),
        pytest.param(
            replace(EMPTY, product_name=LONGEST_NAME), [CUT_NAME],
            id="a long empty name without a level is cut",
        ),
        pytest.param(
            replace(LOW, product_name=LONGEST_NAME, battery_level=None), [CUT_NAME],
            id="a long low name without a level is cut",
        ),
    ],
)
def test_battery_texts_fit_one_sms_segment(device, words):
    (alert,) = decide([device], {}, ACTIVE, NOW, texts_sent_today=0).alerts

    body = alert_text(alert)

    assert is_single_gsm7_segment(body), body
    for word in words:
        assert word in body


@pytest.mark.parametrize(
    ("silent_for", "words"),
    [
        pytest.param(timedelta(hours=24), ["24 hours"], id="a day is told in hours"),
        pytest.param(timedelta(hours=47, minutes=59), ["47 hours"], id="just under two days is told in hours"),
        pytest.param(timedelta(hours=48), ["2 days"], id="two days is told in days"),
        pytest.param(timedelta(days=30), ["30 days"], id="the longest silence we judge is told in days"),
    ],
)
def test_silent_texts_fit_one_sms_segment(silent_for, words):
    device = reading(product_name=LONGEST_NAME, last_sync_at=NOW - silent_for)

    (alert,) = decide_silence([device], {}, ACTIVE, NOW, texts_sent_today=0).alerts

    body = alert_text(alert)

    assert is_single_gsm7_segment(body), body
    for word in [CUT_NAME, "charge it", *words]:
        assert word in body


@pytest.mark.parametrize(
    ("device", "rule", "owner", "words"),
    [
        pytest.param(LOW, decide, None, "Battery low: your Charge 6 is at 18%.", id="the account's own low text"),
        pytest.param(LOW, decide, "Sam", "Battery low: Sam's Charge 6 is at 18%.", id="someone else's low text"),
        pytest.param(EMPTY, decide, "Sam", "Battery empty: Sam's Charge 6 is about to switch off.",
                     id="someone else's empty text without a level"),
        pytest.param(reading(last_sync_at=NOW - timedelta(hours=30)), decide_silence, "Sam",
                     "Sam's Charge 6 has not synced for 30 hours.", id="a silence text opens with whose tracker"),
        pytest.param(reading(last_sync_at=NOW - timedelta(hours=30)), decide_silence, None,
                     "Your Charge 6 has not synced for 30 hours.", id="the account's silence text opens with Your"),
    ],
)
def test_the_same_alert_names_whose_tracker_it_is_for_each_number(device, rule, owner, words):
    (alert,) = rule([device], {}, ACTIVE, NOW, texts_sent_today=0).alerts

    assert alert_text(alert, owner).startswith(words)


def test_an_alert_to_someone_else_with_the_longest_name_fits_one_segment():
    device = reading(product_name=LONGEST_NAME, battery_status="Empty", battery_level=0)

    (alert,) = decide([device], {}, ACTIVE, NOW, texts_sent_today=0).alerts

    body = alert_text(alert, "A" * 24)

    assert is_single_gsm7_segment(body), body

