"""The platform stops a worker dyno (a deploy, a restart) with SIGTERM to every process in it, perhaps more than
once, and SIGKILLs what is left 30 s later: the job in hand is finished within JOB_GRACE_SECONDS or put back
on its queue for the next worker, never lost and never counted failed."""

from __future__ import annotations

import subprocess
import time

from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry

from app.extensions import QUEUE_NAMES, queues
from app.models import MessageStatus
from app.tasks.delivery import Delivery
from tests.support.journeys import device_in_low, settled, signed_up_user, texts
from tests.support.polling import wait_until

# Heroku sends SIGKILL this long after SIGTERM; the worker must be gone by then.
PLATFORM_KILLS_AFTER_SECONDS = 30


def failed_jobs() -> dict[str, list[str]]:
    return {name: ids for name in QUEUE_NAMES if (ids := FailedJobRegistry(name, connection=queues.redis).get_job_ids())}


def sync_in_hand() -> str | None:
    """The sync job a work horse is running, once it holds the user's running mark."""
    started = queues.queue("default").started_job_registry.get_job_ids(cleanup=False)
    return started[0] if started and queues.redis.keys("sync:running:*") else None


def exits_before_the_platform_kills_it(worker) -> int:
    try:
        return worker.process.wait(timeout=PLATFORM_KILLS_AFTER_SECONDS)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the worker was still running {PLATFORM_KILLS_AFTER_SECONDS} s after SIGTERM: "
                             f"the platform would SIGKILL it\n{worker.output()}") from None


def low_battery_sync_under_way(emulator, sign_in, start_worker, platform_delay: dict, **worker_settings):
    """A signed-up user's tracker goes low and its sync is in a work horse, held up by the platform."""
    worker = start_worker(**worker_settings)
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    emulator.control("POST", "/faults", google=platform_delay)
    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=10)
    emulator.sync(person["id"])
    job_id = wait_until(sync_in_hand, what="the sync to be under way in a work horse")
    return worker, person, user, job_id


def test_a_sync_under_way_at_sigterm_finishes_within_the_grace_and_the_worker_exits_cleanly(
    emulator, sign_in, start_worker
):
    # The platform answers after 8 s: longer than RQ's own 6 s grace, well inside ours (the default 20 s).
    worker, person, user, job_id = low_battery_sync_under_way(emulator, sign_in, start_worker, {"latency_ms": 8000},
                                                              JOB_GRACE_SECONDS="20")

    worker.terminate()

    assert exits_before_the_platform_kills_it(worker) == 0, worker.output()
    assert Job.fetch(job_id, connection=queues.redis).get_status() == JobStatus.FINISHED
    assert device_in_low(user), "the reading the sync was waiting for is stored"
    [low] = texts(user, "low")
    assert failed_jobs() == {}
    # The worker took no new job after SIGTERM: the text waits in the outbox for the next worker.
    assert low.body not in [message["text"] for message in emulator.texts_to(user.phone)]
    emulator.control("POST", "/faults", google={"latency_ms": 0})
    start_worker()
    wait_until(lambda: [m for m in emulator.texts_to(user.phone) if m["text"] == low.body], what="the low text")
    assert len(texts(user, "low")) == 1


def test_a_sync_that_cannot_finish_within_the_grace_goes_back_on_its_queue_and_the_next_worker_completes_it(
    emulator, sign_in, start_worker
):
    # The platform holds the read for 25 s: beyond the grace, which the test shortens to 3 s.
    held = {"timeout_rate": 1.0, "timeout_seconds": 25}
    worker, person, user, job_id = low_battery_sync_under_way(
        emulator, sign_in, start_worker, held, JOB_GRACE_SECONDS="3")

    worker.terminate()
    first_sigterm = time.monotonic()
    wait_until(lambda: "Imminent shutdown" in worker.output(), what="the work horse to start its grace")
    # Not a wait but the fault itself: the platform's repeated SIGTERM, later than the 1 s within which RQ
    # ignores a duplicate (a later one would make RQ kill the horse at once).
    time.sleep(max(0.0, first_sigterm + 1.5 - time.monotonic()))
    worker.terminate()

    assert exits_before_the_platform_kills_it(worker) == 0, worker.output()
    job = Job.fetch(job_id, connection=queues.redis)
    assert job.get_status() == JobStatus.QUEUED
    assert job_id in queues.queue("default").get_job_ids()
    assert failed_jobs() == {}
    assert texts(user, "low") == []

    emulator.control("POST", "/faults", google={"timeout_rate": 0})
    start_worker()
    wait_until(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, seconds=60,
               what="the next worker to complete the sync that was put back")
    [low] = wait_until(lambda: texts(user, "low"), what="the low text")
    wait_until(lambda: [m for m in emulator.texts_to(user.phone) if m["text"] == low.body], what="the low text on the phone")
    settled(user, reads=2, emulator=emulator, person=person)
    assert len(texts(user, "low")) == 1
    assert failed_jobs() == {}


def test_a_text_cut_off_mid_send_by_sigterm_reaches_the_phone_once(emulator, sign_in, start_worker):
    worker = start_worker(JOB_GRACE_SECONDS="2")
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    # Vonage takes the text 8 s after it is sent: longer than the grace, and it takes it all the same.
    emulator.control("POST", "/faults", vonage={"latency_ms": 8000})
    emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=10)
    emulator.sync(person["id"])
    # The delivery claims its attempt in the outbox before it calls Vonage.
    [low] = wait_until(lambda: [text for text in texts(user, "low") if text.error == "sending"],
                       what="the low text's send to be under way")
    [job_id] = wait_until(lambda: queues.queue("texts").started_job_registry.get_job_ids(cleanup=False),
                          what="the delivery in a work horse")

    worker.terminate()

    assert exits_before_the_platform_kills_it(worker) == 0, worker.output()
    job = Job.fetch(job_id, connection=queues.redis)
    assert job.get_status() == JobStatus.QUEUED
    assert failed_jobs() == {}
    emulator.control("POST", "/faults", vonage={"latency_ms": 0})
    start_worker()
    wait_until(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, what="the delivery put back to run again")
    # The row is claimed and waits for a receipt instead of sending again; Vonage's receipt then settles it.
    assert job.return_value() in (Delivery.NOT_DUE, Delivery.ALREADY_SETTLED)
    wait_until(lambda: texts(user, "low")[0].status == MessageStatus.DELIVERED, what="Vonage's receipt")
    assert [message["text"] for message in emulator.texts_to(user.phone)].count(low.body) == 1
    assert failed_jobs() == {}
