""""Texts we sent" as the conversation it was: our texts and the user's replies, codes folded into one line, paged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select

from app.domain import outbox
from app.extensions import db
from app.models import MessageStatus, OutgoingMessage, User
from app.texts import wording
from app.web.dashboard.times import clock, day

TEXTS_PER_PAGE = 20
TEXT_KINDS = {
    "low": lazy_gettext("Battery low"),
    "empty": lazy_gettext("Battery empty"),
    "silent": lazy_gettext("Not syncing"),
    "welcome": lazy_gettext("Welcome"),
    "first_reading": lazy_gettext("First reading"),
    "reply": lazy_gettext("Answer"),
    "opt_out": lazy_gettext("Stopped"),
    "reconnect": lazy_gettext("Reconnect"),
    "retired": lazy_gettext("Fitbit retired"),
    "test": lazy_gettext("Test text"),
    "reminder": lazy_gettext("Reminder"),
}


def conversation(user: User, now: datetime, zone: ZoneInfo, moment: Callable, page: int = 1) -> dict:
    """One page of the conversation, newest first: each of our texts, preceded by the reply it answers, and the
    codes as one line ("Number confirmed 30 Nov"); `older` is the next page's number when there is one."""
    page = max(1, page)
    rows = db.session.scalars(
        select(OutgoingMessage)
        # The account's own number's texts; an extra number's show as its state in "Who gets these texts".
        .where(OutgoingMessage.user_id == user.id, OutgoingMessage.recipient_id.is_(None),
               OutgoingMessage.kind != outbox.VERIFICATION)
        .order_by(OutgoingMessage.created_at.desc(), OutgoingMessage.id.desc())
        .offset((page - 1) * TEXTS_PER_PAGE)
        .limit(TEXTS_PER_PAGE + 1)
    ).all()
    entries = []
    for text in rows[:TEXTS_PER_PAGE]:
        entries.append(text_entry(text, now, zone, moment))
        replied = wording.reply_answered(text.kind, text.body)
        if replied is not None:
            entries.append({"from_user": True, "reply": replied.value, "when": moment(text.created_at, now, zone)})
    return {"texts": entries, "codes": codes_line(user, zone) if page == 1 else None, "page": page,
            "older": page + 1 if len(rows) > TEXTS_PER_PAGE else None}


def text_entry(text: OutgoingMessage, now: datetime, zone: ZoneInfo, moment: Callable) -> dict:
    return {
        "from_user": False,
        "id": text.id,
        "kind": str(TEXT_KINDS[text.kind]) if text.kind in TEXT_KINDS else text.kind.replace("_", " ").capitalize(),
        "body": outbox.shown_body(text),
        "status": text.status.value,
        "status_label": delivery_status(text, now, zone),
        "when": moment(text.created_at, now, zone),
    }


def codes_line(user: User, zone: ZoneInfo) -> str | None:
    """Every code we texted, as one line: when the number was confirmed, or when the last code went."""
    if user.phone_verified:
        assert user.phone_verified_at is not None  # phone_verified
        return _("Number confirmed %(day)s", day=day(user.phone_verified_at, zone))
    last = db.session.scalar(
        select(OutgoingMessage.created_at)
        .where(OutgoingMessage.user_id == user.id, OutgoingMessage.recipient_id.is_(None),
               OutgoingMessage.kind == outbox.VERIFICATION)
        .order_by(OutgoingMessage.created_at.desc())
        .limit(1)
    )
    if last is None:
        return None
    return _("Code sent %(day)s, %(time)s; waiting for you to enter it", day=day(last, zone), time=clock(last, zone))


def delivery_status(text: OutgoingMessage, now: datetime, zone: ZoneInfo) -> str:
    """Where the text is, in the user's words."""
    if text.status is MessageStatus.QUEUED:
        if text.send_after is not None and text.send_after > now and text.attempts == 0:
            return _("Held for quiet hours until %(time)s", time=clock(text.send_after, zone))
        return _("Sending")
    if text.status is MessageStatus.SUBMITTED:
        return _("Sent, waiting for the phone network")
    if text.status is MessageStatus.DELIVERED:
        return _("Delivered")
    if text.status is MessageStatus.FAILED:
        return _("Not delivered")
    # The error is the provider's own words (English), kept as they came for anyone who asks support.
    return _("Not sent: %(error)s", error=text.error) if text.error else _("Not sent")
