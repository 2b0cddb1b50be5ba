"""ADMIN_USERS and LOG_LEVEL are read strictly: a typo stops the start instead of opening or silencing anything."""

from __future__ import annotations

import pytest

from app.environment import ConfigError, admin_users, log_level


def test_admin_users_are_platform_and_user_id_pairs_separated_by_commas():
    assert admin_users(" google:ABC123 ,fitbit:7XYZ9,, ") == frozenset({"google:ABC123", "fitbit:7XYZ9"})


@pytest.mark.parametrize("unset", [None, "", " , "])
def test_no_admin_users_means_nobody_sees_the_operator_page(unset):
    assert admin_users(unset) == frozenset()


@pytest.mark.parametrize("typo", ["ABC123", "google:", "garmin:ABC123", "google ABC123"])
def test_an_admin_user_without_a_known_platform_and_an_id_stops_the_start(typo):
    with pytest.raises(ConfigError, match="ADMIN_USERS"):
        admin_users(typo)


@pytest.mark.parametrize(("given", "level"), [(None, "INFO"), ("debug", "DEBUG"), ("Warning", "WARNING")])
def test_log_level_is_a_logging_level_name_in_any_case(given, level):
    assert log_level(given) == level


def test_an_unknown_log_level_stops_the_start():
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        log_level("verbose")
