"""The operator page after a real pipeline run (push → webhook → worker → text) on top of seeded rows: each
figure is what happened, counted across the web process and the worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq.registry import FailedJobRegistry

from app import service_status
from app.extensions import db, queues
from app.models import ConnectionState, MessageStatus, OutgoingMessage, PendingPush, utcnow
from tests.support.factories import make_user
from tests.support.failing_jobs import text_the_code
from tests.support.journeys import settled, signed_up_user, texts
from tests.support.pages import tables_of
from tests.support.polling import wait_until

pytestmark = pytest.mark.usefixtures("texts_only_recorded")


def seed_people_and_texts():
    """Four more people, one in each other phone state, and two texts that did not go, with their reasons."""
    now = utcnow()
    make_user(phone=None, connection_state=ConnectionState.NEEDS_RECONNECT)
    make_user(phone="+447700900201", verified=False)
    stopped = make_user(phone="+447700900202", opted_out_at=now)
    failing = make_user(phone="+447700900203", phone_failed_at=now, phone_failure="invalid number")
    db.session.add_all([
        OutgoingMessage(user_id=failing.id, idempotency_key="seed-failed", kind="low", to=failing.phone, body="x",
                        status=MessageStatus.FAILED, error="receipt: failed (err-code 6)",
                        created_at=now - timedelta(days=3)),
        OutgoingMessage(user_id=stopped.id, idempotency_key="seed-skipped", kind="silent", to=stopped.phone,
                        body="x", status=MessageStatus.SKIPPED, error="the user replied STOP",
                        created_at=now - timedelta(hours=1)),
        PendingPush(platform="google", platform_user_id="kept-during-outage", received_at=now - timedelta(minutes=5)),
    ])
    db.session.commit()


def api_calls(emulator, platform: str) -> int:
    """Calls our app made to the platform's data API (sign-in's own token exchange is Flask-Dance's, not ours)."""
    endpoints = {"identity", "paired_devices", "settings"} if platform == "google" else {"devices", "profile"}
    return len([made for made in emulator.requests_made() if made.get("endpoint") in endpoints])


def test_the_operator_page_shows_the_figures_of_a_pipeline_run(app, emulator, sign_in, start_worker, live_app,
                                                               monkeypatch):
    start_worker()
    person, user, browser = signed_up_user(emulator, sign_in, "google", level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=12)
    emulator.sync(person["id"])
    settled(user, reads=2, emulator=emulator, person=person)
    low = wait_until(lambda: [t for t in texts(user, "low") if t.status is not MessageStatus.QUEUED],
                     what="the low text handed over")[0]
    seed_people_and_texts()
    queues.queue("default").enqueue(text_the_code, "+447700900999", "123456", {"access_token": "never-shown"})
    wait_until(lambda: FailedJobRegistry("default", connection=queues.redis).count, what="the job to fail")
    service_status.credentials_refused("fitbit", "invalid_client")
    monkeypatch.setitem(app.config, "ADMIN_USERS", frozenset({f"google:{user.platform_user_id}"}))
    wait_until(lambda: "Last sweep ended" in browser.get(live_app.url + "/admin", timeout=10).text,
               what="a finished sweep on the page")

    page = browser.get(live_app.url + "/admin", timeout=10)
    assert page.status_code == 200
    tables, paragraphs = tables_of(page.text)
    assert tables["connections"] == {"connected": ["4"], "needs reconnect": ["1"], "platform retired": ["0"],
                                     "disconnected": ["0"]}
    assert tables["phones"] == {"no number": ["1"], "awaiting its code": ["1"], "opted out (STOP)": ["1"],
                                "not getting through": ["1"], "confirmed": ["1"]}
    handed_over = ["0", "0", "0", "0", "0"]
    handed_over[["queued", "submitted", "delivered", "failed", "skipped"].index(low.status.value)] = "1"
    day, week = tables["texts-1"], tables["texts-2"]
    assert day["low"] == handed_over and day["silent"] == ["0", "0", "0", "0", "1"]
    assert week["low"] == [str(int(n) + (i == 3)) for i, n in enumerate(handed_over)]
    assert tables["reasons-1"] == {"the user replied STOP": ["1"]}
    assert tables["reasons-2"] == {"receipt: failed (err-code 6)": ["1"], "the user replied STOP": ["1"]}
    # Identity from the web process at sign-in, settings and devices from the worker: one tally.
    calls = tables["platform-calls"]["google"]
    assert calls[0] == str(api_calls(emulator, "google")) and set(calls[1:]) == {"0"}
    assert tables["credentials"] == {"fitbit": [tables["credentials"]["fitbit"][0]], "google": ["accepted"],
                                     "vonage": ["not used"]}
    assert tables["credentials"]["fitbit"][0].startswith("refused since")
    assert tables["queues"]["default"][3] == "1"
    assert tables["failed-jobs"] == {"text_the_code": ["RuntimeError", "1"]}
    assert paragraphs["pending-pushes"].startswith("Pushes kept in the database during a Redis outage: 1, the oldest")
    assert "took" in paragraphs["last-sweep"]
    for private in ("7700900", "123456", "never-shown", user.platform_user_id):
        assert private not in page.text.replace(f"google:{user.platform_user_id}", "")
