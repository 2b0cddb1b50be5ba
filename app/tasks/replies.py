"""Texts from people's phones: STOP opts out, START opts back in, BATTERY gets the levels, anything else help.

A number may be an account's own and an extra number of other accounts: a reply acts on each, and STOP from
an extra number stops that number alone, never the account's own texts or the other extra numbers'.
"""

from __future__ import annotations

import logging

from limits import parse
from sqlalchemy import func, select

from app.adapters import events
from app.adapters.digests import number_key
from app.adapters.sms import e164_number
from app.domain import alerting, outbox
from app.extensions import db, limiter
from app.models import OutgoingMessage, User, utcnow
from app.models.recipients import Recipient
from app.tasks.delivery import queue_text
from app.texts import wording
from app.texts.wording import Reply

log = logging.getLogger(__name__)

# Answers to BATTERY, START and help, per number: then silence until the hour is over. Answers never
# count towards the daily cap, which keeps its room for battery alerts.
ANSWERS_PER_NUMBER = parse("5 per hour")


def holders_of(phone: str | None) -> list[tuple[User, Recipient | None]]:
    """Every (account, extra number or None for its own) this number belongs to."""
    if not phone:
        return []
    own = db.session.scalars(select(User).where(User.phone == phone).order_by(User.id)).all()
    extra = db.session.scalars(select(Recipient).where(Recipient.phone == phone).order_by(Recipient.id)).all()
    holders: list[tuple[User, Recipient | None]] = [(user, None) for user in own]
    return holders + [
        (db.session.get_one(User, recipient.user_id), recipient) for recipient in extra
    ]


def handle_reply(msisdn: str, text: str, inbound_message_id: str) -> Reply:
    """Act on a reply for every account on that number; a repeated webhook is answered only once."""
    phone = e164_number(msisdn)
    reply = wording.reply_keyword(text)
    holders = holders_of(phone)
    for user, recipient in holders:
        if reply is Reply.STOP:
            opt_out(user, recipient)
            continue
        key = f"reply:{inbound_message_id}:{user.id}" + (f":to:{recipient.id}" if recipient else "")
        if db.session.scalar(select(func.count()).where(OutgoingMessage.idempotency_key == key)):
            continue  # this reply was answered already: a repeated or replayed webhook
        body = answer(user, reply, recipient)
        assert phone is not None  # a number that is no phone has no holders
        if not limiter.limiter.hit(ANSWERS_PER_NUMBER, "reply-answers", number_key(phone)):
            # Replies can be sent (or forged) without end; the answers to them cannot. START still took effect.
            log.warning("reply answers to user %s's number held back: hourly limit reached", user.id)
            continue
        queue_text(user, outbox.REPLY, key, body, recipient=recipient)
    log.info("reply %s handled for %s number(s) of accounts", reply.value, len(holders))
    return reply


def answer(user: User, reply: Reply, recipient: Recipient | None = None) -> str:
    """The words that answer a reply other than STOP, in that number's language; START takes effect here, for the
    number that sent it."""
    holder = recipient or user
    if reply is Reply.START:
        body = wording.say(wording.OPTED_IN if holder.opted_out_at is not None else wording.ALREADY_IN,
                           holder.language)
        holder.opted_out_at = None
        db.session.commit()
        events.publish(user.id, {"type": "account", "opted_out": False})
        return body
    if reply is Reply.BATTERY:
        return wording.battery_text(alerting.watched_readings(user, utcnow()), holder.language)
    return wording.say(wording.HELP, holder.language)


def opt_out(user: User, recipient: Recipient | None = None) -> None:
    """Stop every text to this number, and confirm once per opt-out (a second STOP gets no answer)."""
    holder = recipient or user
    if holder.opted_out_at is None:
        holder.opted_out_at = utcnow()
        db.session.commit()
        events.publish(user.id, {"type": "account", "opted_out": True})
    key = f"opt-out:{user.id}:{holder.opted_out_at.isoformat()}" + (f":to:{recipient.id}" if recipient else "")
    queue_text(user, outbox.OPT_OUT_CONFIRMATION, key, wording.say(wording.OPTED_OUT, holder.language),
               recipient=recipient)
