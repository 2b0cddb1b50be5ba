"""After a pipeline run the metrics at /metrics move by what happened, counted in the web process and in the
worker's forked job processes alike, and no label holds a user id or a number."""

from __future__ import annotations

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from app.models import MessageStatus
from tests.support.journeys import settled, signed_up_user, texts
from tests.support.polling import wait_until

pytestmark = pytest.mark.usefixtures("texts_only_recorded")
TOKEN = "scrape-token-for-tests"


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = requests.get(url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert answer.status_code == 200
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.text) for sample in family.samples}


def moved(before, after) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {key: value - before.get(key, 0) for key, value in after.items() if value != before.get(key, 0)}


def series(name: str, **labels: str):
    return name, tuple(sorted(labels.items()))


@pytest.fixture
def metrics_url(app, live_app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    return live_app.url


def test_a_push_that_ends_in_a_low_text_moves_each_metric_by_one(metrics_url, emulator, sign_in, start_worker):
    start_worker()
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    before = scrape(metrics_url)

    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=12)
    pushes = len(emulator.sync(person["id"])["pushes"])
    settled(user, reads=2, emulator=emulator, person=person)
    wait_until(lambda: [t for t in texts(user, "low") if t.status is not MessageStatus.QUEUED],
               what="the low text handed over")
    expected = {
        series("battery_pushes_total", platform="google", outcome="accepted"): pushes,
        series("battery_webhook_seconds_count", platform="google"): pushes,
        series("battery_syncs_total", platform="google", outcome="synced"): 1,
        series("battery_device_reads_total", platform="google"): 1,
        series("battery_texts_total", kind="low", status="queued"): 1,
        series("battery_texts_total", kind="low", status="submitted"): 1,
        series("battery_push_to_text_seconds_count", kind="low"): 1,
    }

    def moved_as_expected():
        changes = moved(before, scrape(metrics_url))
        return changes if all(changes.get(key) == value for key, value in expected.items()) else None

    changes = wait_until(moved_as_expected, what=f"the metrics to move by {expected}")
    counted = {key: value for key, value in changes.items()
               if key[0].endswith("_total") or key[0].endswith("_count")}
    # The receipt may or may not have come back yet; nothing else moved.
    counted.pop(series("battery_texts_total", kind="low", status="delivered"), None)
    assert counted == expected

    label_values = {value for _, pairs in scrape(metrics_url) for _, value in pairs}
    assert not label_values & {user.platform_user_id, person["id"], str(user.id), user.phone}
    assert not [value for value in label_values if "7700900" in value]


def test_a_platform_answering_429_is_counted_as_a_rate_limited_error_and_a_rescheduled_sync(
        metrics_url, emulator, sign_in, start_worker):
    start_worker()
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    before = scrape(metrics_url)

    emulator.control("POST", "/faults", google={"force_429": True})
    emulator.sync(person["id"])
    expected = {
        series("battery_platform_errors_total", platform="google", kind="rate_limited"): 1,
        series("battery_syncs_total", platform="google", outcome="rescheduled"): 1,
    }
    wait_until(lambda: all(moved(before, scrape(metrics_url)).get(k) == v for k, v in expected.items()),
               what=f"the metrics to move by {expected}")
