"""Fixtures shared by the reliability tests."""

from __future__ import annotations

import pytest

from tests.support.own_redis import OwnRedis


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of the test's own, to stop and start while the app runs."""
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()
