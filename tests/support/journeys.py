"""Journeys the end-to-end tests share: a signed-in user with a confirmed phone and a tracker, and settling."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db, queues
from app.models import Device, OutgoingMessage, User, utcnow
from tests.support.polling import wait_until

PHONE = "+447700900123"


def signed_up_user(emulator, sign_in, platform: str, level: int = 80, phone: str = PHONE, **person_fields):
    """A person with one tracker signs in, and their phone is confirmed (the phone flow has its own tests)."""
    person = emulator.person(devices=[{"product": "Charge 6", "battery_level": level}], **person_fields)
    browser, _ = sign_in(platform, person["id"])
    user = db.session.scalars(select(User).order_by(User.id.desc())).first()
    user.phone = phone
    user.phone_verified_at = utcnow()
    db.session.commit()
    return person, user, browser


def refreshed(user: User) -> User:
    """The user as the database holds them now, whatever the workers changed meanwhile."""
    db.session.expire_all()
    return db.session.get(User, user.id)


def devices_reads(emulator, person) -> int:
    reads = emulator.requests_made(endpoint="devices") + emulator.requests_made(endpoint="paired_devices")
    return len([read for read in reads if read["person_id"] in {person["id"], person["health_user_id"]}])


def wait_for_reads(emulator, person, count: int) -> None:
    wait_until(lambda: devices_reads(emulator, person) >= count, what=f"{count} devices reads")


def texts(user, kind: str | None = None) -> list[OutgoingMessage]:
    db.session.expire_all()
    query = select(OutgoingMessage).where(OutgoingMessage.user_id == user.id).order_by(OutgoingMessage.id)
    rows = db.session.scalars(query).all()
    return [row for row in rows if kind is None or row.kind == kind]


def device_in_low(user) -> bool:
    """Whether the user's tracker is in a low-battery episode, as the worker last recorded it."""
    db.session.expire_all()
    return bool(db.session.scalars(select(Device.in_low).where(Device.user_id == user.id)).first())


def settled(user, *, reads: int, emulator, person) -> None:
    """Wait until the worker has read the devices `reads` times and finished with the user."""
    wait_for_reads(emulator, person, reads)
    wait_until(lambda: not queues.redis.keys("sync:running:*") and not queues.redis.hlen("sync:dirty"),
               what="the sync to finish")
