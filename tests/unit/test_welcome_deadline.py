"""The welcome's two minutes: before the instant they end it waits for a reading; from that instant it goes."""

from datetime import UTC, datetime, timedelta

import pytest

from app.tasks.welcome import waited_long_enough

CONFIRMED = datetime(2026, 11, 30, 9, 26, tzinfo=UTC)
TWO_MINUTES = timedelta(minutes=2)


@pytest.mark.parametrize(
    ("after", "due"),
    [
        (timedelta(0), False),
        (TWO_MINUTES - timedelta(microseconds=1), False),
        (TWO_MINUTES, True),
        (TWO_MINUTES + timedelta(microseconds=1), True),
    ],
)
def test_the_welcome_goes_without_levels_from_the_instant_the_wait_ends(after, due):
    assert waited_long_enough(CONFIRMED, CONFIRMED + after, TWO_MINUTES) is due
