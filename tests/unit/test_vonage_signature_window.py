"""A signed Vonage webhook is taken for 300 seconds either side of its timestamp, to the second, on a clock held
still: the edges are pinned here, where no slow machine can move the clock between signing and checking."""

from __future__ import annotations

import pytest

from app.web.webhooks.vonage import SIGNATURE_MAX_AGE_SECONDS, signed_just_now

NOW = 1_800_000_000.0  # a fixed instant, Unix seconds


def test_the_window_is_five_minutes():
    assert SIGNATURE_MAX_AGE_SECONDS == 300


@pytest.mark.parametrize("age_seconds", [0, 1, 299, 300, -1, -299, -300])
def test_a_request_signed_within_five_minutes_either_way_is_taken(age_seconds):
    assert signed_just_now(str(int(NOW) - age_seconds), NOW) is True


@pytest.mark.parametrize("age_seconds", [301, -301, 3600, -3600])
def test_a_request_signed_a_second_past_five_minutes_either_way_is_refused(age_seconds):
    assert signed_just_now(str(int(NOW) - age_seconds), NOW) is False


def test_the_edge_counts_fractions_of_a_second():
    signed = int(NOW) - 300
    assert signed_just_now(str(signed), NOW + 0.999) is False
    assert signed_just_now(str(signed + 600), NOW - 0.001) is False


@pytest.mark.parametrize("timestamp", [None, "", "abc", "-5", "1.5e9", "１７０００００００００", "1" * 13])
def test_a_timestamp_that_is_not_plain_unix_seconds_is_refused(timestamp):
    assert signed_just_now(timestamp, NOW) is False


def test_a_timestamp_of_twelve_digits_is_read_and_judged_by_its_age():
    assert signed_just_now("9" * 12, NOW) is False
    assert signed_just_now(f"{int(NOW):012d}", NOW) is True
