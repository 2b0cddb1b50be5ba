"""Who an alert goes to: the account's own number and each confirmed extra number that chose that kind of text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.domain import outbox
from app.extensions import db
from app.models import User
from app.models.recipients import Recipient

MAX_RECIPIENTS = 3


def own_number_listens(user: User) -> bool:
    return user.phone_verified and user.opted_out_at is None


def recipients_of(user: User) -> list[Recipient]:
    """Every extra number of the account, confirmed or not, in the order they were added."""
    return list(db.session.scalars(select(Recipient).where(Recipient.user_id == user.id).order_by(Recipient.id)))


def listening_recipients(user: User) -> list[Recipient]:
    """The extra numbers texts may go to: confirmed by their owner, and not stopped."""
    return [recipient for recipient in recipients_of(user)
            if recipient.phone_verified and recipient.opted_out_at is None]


def alert_receivers(user: User, kind: str) -> list[Recipient | None]:
    """The numbers an alert of `kind` goes to: None stands for the account's own number."""
    own: list[Recipient | None] = [None] if own_number_listens(user) else []
    return own + [recipient for recipient in listening_recipients(user) if kind in recipient.chosen_texts]


def owner_named(recipient: Recipient | None) -> str | None:
    """Whose tracker a text names: None for "your" on the account's own phone, the account holder's name as the
    extra number's owner knows them ("Sam's") on someone else's."""
    return None if recipient is None else recipient.known_as


def language_of(user: User, recipient: Recipient | None) -> str:
    """The language of a number's texts: the account's for its own number, the extra number's own for that one."""
    return (recipient or user).language


def anyone_listens(user: User) -> bool:
    return own_number_listens(user) or bool(listening_recipients(user))


def fewest_alerts_today(user: User, now: datetime) -> int:
    """The day's alert count of the listening number with the most room: the rules keep a text while any number
    may still get it, and the send-time gate holds each number to its own cap."""
    counts = [outbox.texts_sent_today(user, now, recipient.id) for recipient in listening_recipients(user)]
    if own_number_listens(user) or not counts:
        counts.append(outbox.texts_sent_today(user, now))
    return min(counts)
