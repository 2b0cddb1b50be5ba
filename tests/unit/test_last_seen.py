"""When a platform leaves out lastSyncTime, the evidence that a device still syncs: its reading changing,
and a push, but a push only for a user's only device."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.domain.readings import last_seen_without_sync_time

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("last_sync", "changed", "pushed", "only_device", "seen"),
    [
        pytest.param(None, None, None, True, None, id="no evidence at all: cannot be judged"),
        pytest.param(None, NOW - 3 * HOUR, None, True, NOW - 3 * HOUR, id="its reading changed"),
        pytest.param(None, NOW - 30 * HOUR, NOW - HOUR, True, NOW - HOUR, id="a push for the only device"),
        pytest.param(None, NOW - 30 * HOUR, NOW - HOUR, False, NOW - 30 * HOUR,
                     id="a push proves nothing about one of several devices"),
        pytest.param(NOW - 50 * HOUR, NOW - 30 * HOUR, None, False, NOW - 30 * HOUR,
                     id="a change after the last known sync time"),
        pytest.param(NOW - 2 * HOUR, NOW - 30 * HOUR, None, False, NOW - 2 * HOUR,
                     id="the last sync time the platform once gave"),
    ],
)
def test_the_latest_evidence_of_a_sync_wins(last_sync, changed, pushed, only_device, seen):
    device = SimpleNamespace(last_sync_at=last_sync, changed_at=changed)
    user = SimpleNamespace(last_push_at=pushed)
    assert last_seen_without_sync_time(device, user, only_device) == seen
