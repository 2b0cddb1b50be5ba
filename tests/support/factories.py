"""Test data in the product's words: users with numbers and their devices; queued text jobs run in process."""

from __future__ import annotations

import itertools

from rq import Queue
from rq.registry import ScheduledJobRegistry

from app.extensions import db, queues
from app.models import Device, Platform, User, utcnow

_serial = itertools.count(1)


def make_user(phone: str | None = "+447700900123", verified: bool = True, **fields) -> User:
    """A signed-up user; by default on Google, with a verified UK mobile and no opt-out."""
    defaults = {"platform": Platform.GOOGLE, "platform_user_id": f"health-user-{next(_serial)}"}
    user = User(
        phone=phone,
        phone_verified_at=utcnow() if verified and phone else None,
        **{**defaults, **fields},
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_device(user: User, product_name: str = "Charge 6", **fields) -> Device:
    device = Device(
        user_id=user.id,
        platform_device_id=fields.pop("platform_device_id", f"device-{next(_serial)}"),
        product_name=product_name,
        last_sync_at=fields.pop("last_sync_at", utcnow()),
        **fields,
    )
    db.session.add(device)
    db.session.commit()
    return device


def texts_queue() -> Queue:
    return queues.queue("texts")


def run_text_jobs(limit: int = 50) -> int:
    """Run the texts queue in this process until it is empty, the way a worker would; returns how many ran."""
    queue = texts_queue()
    ran = 0
    while ran < limit:
        job_ids = queue.get_job_ids(0, 1)
        if not job_ids:
            return ran
        job = queue.fetch_job(job_ids[0])
        queue.remove(job)
        job.perform()
        ran += 1
    raise AssertionError("the texts queue never emptied")


def scheduled_text_jobs() -> list[str]:
    return ScheduledJobRegistry(queue=texts_queue()).get_job_ids()


def sweep_batch_jobs() -> list:
    """The batch jobs the sweep handed out and no worker took yet, in the order they were queued."""
    sweeps = queues.queue("sweeps")
    return [sweeps.fetch_job(job_id) for job_id in sweeps.get_job_ids() if not job_id.startswith("sweep-")]


def run_sweep_batches() -> list:
    """Run the sweep's batch jobs in this process, the way a worker would; returns what each returned."""
    sweeps = queues.queue("sweeps")
    results = []
    for job in sweep_batch_jobs():
        sweeps.remove(job)
        results.append(job.perform())
    return results
