"""An operator's view of a real pipeline run (push → webhook → worker → text) on top of seeded rows, one in
each state the operator page counts: what its end-to-end and browser tests look at."""

from __future__ import annotations

from datetime import timedelta

from rq.registry import FailedJobRegistry

from app.adapters import service_status
from app.extensions import db, queues
from app.models import ConnectionState, MessageStatus, OutgoingMessage, PendingPush, utcnow
from tests.support.factories import make_user
from tests.support.failing_jobs import text_the_code
from tests.support.journeys import settled, signed_up_user, texts
from tests.support.polling import wait_until


def seed_people_and_texts():
    """Four more people, one in each other phone state, two texts that did not go with their reasons, and a
    push kept during a Redis outage."""
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


def pipeline_run_seen_by_an_operator(app, emulator, sign_in, worker, monkeypatch):
    """A low text from a real push (delivered: its receipt is in), a failed job and a finished sweep, all from
    `worker`, which then stops so that nothing moves while the page is read; then the seeded rows and Fitbit
    refusing our client. The signed-up user is the operator. Returns the user and their signed-in session."""
    person, user, browser = signed_up_user(emulator, sign_in, "google", level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=12)
    emulator.sync(person["id"])
    settled(user, reads=2, emulator=emulator, person=person)
    wait_until(lambda: [t for t in texts(user, "low") if t.status is MessageStatus.DELIVERED],
               what="the low text delivered")
    queues.queue("default").enqueue(text_the_code, "+447700900999", "123456", {"access_token": "never-shown"})
    wait_until(lambda: FailedJobRegistry("default", connection=queues.redis).count, what="the job to fail")
    wait_until(lambda: queues.queue("sweeps").finished_job_registry.count, what="a finished sweep")
    worker.stop()
    seed_people_and_texts()
    service_status.credentials_refused("fitbit", "invalid_client")
    monkeypatch.setitem(app.config, "ADMIN_USERS", frozenset({f"google:{user.platform_user_id}"}))
    return user, browser
