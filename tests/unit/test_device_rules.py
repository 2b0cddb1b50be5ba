"""A device's own alert level and mute, over the account's settings, in the alert rules."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app.rules.alerts import AlertSettings, DeviceReading, EpisodeState, decide, decide_silence

NOW = datetime(2026, 6, 22, 12, 0, tzinfo=UTC)
ACCOUNT = AlertSettings(phone_verified=True, connected=True, threshold_percent=20)
DEVICE = DeviceReading("watch", "WATCH", "Pixel Watch 3", "Medium", 35, NOW)


@pytest.mark.parametrize(
    ("level", "own_level", "texted"),
    [
        pytest.param(35, None, False, id="35 % is fine at the account's 20"),
        pytest.param(35, 35, True, id="35 % is low at the device's own 35"),
        pytest.param(36, 35, False, id="one above the device's own level"),
        pytest.param(15, 10, False, id="a device's lower level beats the account's"),
        pytest.param(10, 10, True, id="at the device's lower level"),
    ],
)
def test_a_devices_own_alert_level_replaces_the_accounts(level, own_level, texted):
    reading = replace(DEVICE, battery_level=level, threshold_percent=own_level)
    assert bool(decide([reading], {}, ACCOUNT, NOW, 0).alerts) is texted


def test_a_muted_device_gets_no_low_text_but_its_episode_moves_on():
    decision = decide([replace(DEVICE, battery_level=10, muted=True)], {}, ACCOUNT, NOW, 0)
    assert decision.alerts == ()
    assert decision.states["watch"] == EpisodeState(episode=1, in_low=True)


def test_a_muted_device_gets_no_silence_text_but_the_silence_is_counted():
    silent = replace(DEVICE, muted=True, last_sync_at=NOW - timedelta(hours=30))
    decision = decide_silence([silent], {}, ACCOUNT, NOW, 0)
    assert decision.alerts == ()
    assert decision.states["watch"] == EpisodeState(silence=1, silent_sent=True)


def test_muting_one_device_leaves_the_others_texted():
    other = replace(DEVICE, device_key="band", product_name="Charge 6", battery_level=12)
    decision = decide([replace(DEVICE, battery_level=10, muted=True), other], {}, ACCOUNT, NOW, 0)
    assert [alert.device_key for alert in decision.alerts] == ["band"]
