"""Phone codes: a 6-digit code texted to the number, kept only as a hash, checked with a limit on tries.

The same code, limits and tries confirm the account's own number and each of its extra numbers
(`recipient`): an extra number's code counts against the same per-number, per-account, per-address
and site-wide hourly limits.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext
from limits import parse
from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult

from app.adapters.digests import keyed_digest, number_key
from app.domain import outbox
from app.extensions import db, limiter, queues
from app.models import PhoneVerification, User, utcnow
from app.models.recipients import Recipient
from app.tasks.delivery import queue_text, start_delivery
from app.tasks.sync import request_sync
from app.tasks.welcome import send_welcome
from app.texts import wording
from app.web.phone.numbers import country_refusal

log = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_LIFETIME = outbox.CODE_LIFETIME
MAX_WRONG_CODES = 5
RESEND_AFTER = timedelta(minutes=1)
# Codes texted, counted in Redis: per number so nobody can pump texts at one phone; per account and per
# client address so nobody can pump texts at many; and for the whole site (SMS_CODES_PER_HOUR), a ceiling
# on the bill however many accounts and addresses an attacker has.
CODES_PER_NUMBER = parse("5 per hour")
CODES_PER_ACCOUNT = parse("10 per hour")
CODES_PER_ADDRESS = parse("10 per hour")
TOO_SOON = lazy_gettext("We sent a code less than a minute ago.")
HOURLY_LIMIT = lazy_gettext("We have sent as many codes as we may for now.")


@dataclass(frozen=True)
class CodeRefusal:
    """Why no code was sent, and from when another may be asked for (None: not at all, as for a country we do
    not text); `too_soon` means the last code, a minute old at most, is still the one to use."""

    message: str
    too_soon: bool = False
    retry_at: datetime | None = None

    @property
    def waiting(self) -> bool:
        """A wait, not a refusal of the number: the message belongs by the resend button, not on the field."""
        return self.retry_at is not None


def code_hash(phone: str, code: str) -> str:
    """Number and code under the app's secret: a leaked table reveals no codes."""
    return keyed_digest(f"{phone}:{code}")


def codes_for(user: User, recipient: Recipient | None):
    """The conditions that pick the codes of one number: the account's own (no recipient) or one extra number."""
    number = PhoneVerification.recipient_id.is_(None) if recipient is None else (
        PhoneVerification.recipient_id == recipient.id)
    return PhoneVerification.user_id == user.id, number, PhoneVerification.verified_at.is_(None)


def pending_verification(user: User, recipient: Recipient | None = None) -> PhoneVerification | None:
    """The code waiting for the number's current value; one at most, since a new number clears the rest."""
    return db.session.scalars(
        select(PhoneVerification)
        .where(*codes_for(user, recipient), PhoneVerification.phone == (recipient or user).phone)
        .order_by(PhoneVerification.id.desc())
        .limit(1)
    ).first()


def hourly_counts(user: User, client_address: str | None, phone: str) -> list[tuple]:
    """Each hourly limit a code counts against, with its Redis key parts; the number only as a keyed hash."""
    site_wide = parse(f"{int(current_app.config['SMS_CODES_PER_HOUR'])} per hour")
    return [
        (CODES_PER_NUMBER, "phone-codes-number", number_key(phone)),
        (CODES_PER_ACCOUNT, "phone-codes-account", str(user.id)),
        (CODES_PER_ADDRESS, "phone-codes-address", client_address or "unknown"),
        (site_wide, "phone-codes-site", "all"),
    ]


def code_refusal(user: User, client_address: str | None, verification: PhoneVerification | None = None,
                 now: datetime | None = None, recipient: Recipient | None = None) -> CodeRefusal | None:
    """Why no code may be sent to the user's number (or `recipient`'s) now, or None: the once-a-minute limit, a
    country we do not text, the hourly limits (per number, per account, per client address, for the whole site)."""
    now = now or utcnow()
    phone = (recipient or user).phone
    verification = verification or pending_verification(user, recipient)
    if verification is not None and now - verification.last_sent_at < RESEND_AFTER:
        return CodeRefusal(TOO_SOON, too_soon=True, retry_at=verification.last_sent_at + RESEND_AFTER)
    assert phone is not None  # a code goes to a number already saved
    refused_country = country_refusal(phone, current_app.config["SMS_COUNTRIES"])
    if refused_country is not None:
        return CodeRefusal(refused_country)
    rate = limiter.limiter
    counts = hourly_counts(user, client_address, phone)
    spent = [(limit, *keys) for limit, *keys in counts if not rate.test(limit, *keys)]
    if spent:
        reset = max(rate.get_window_stats(*count).reset_time for count in spent)
        return CodeRefusal(HOURLY_LIMIT, retry_at=datetime.fromtimestamp(reset, UTC))
    return None


def send_code(user: User, client_address: str | None, recipient: Recipient | None = None) -> CodeRefusal | None:
    """Text a fresh code to the user's number (or `recipient`'s) unless `code_refusal` says why not."""
    now = utcnow()
    phone = (recipient or user).phone
    assert phone is not None  # a code goes to a number already saved
    verification = pending_verification(user, recipient)
    refusal = code_refusal(user, client_address, verification, now, recipient)
    if refusal is not None:
        if refusal.message is HOURLY_LIMIT:
            log.warning("phone code refused for user %s: hourly limit reached", user.id)
        return refusal
    rate = limiter.limiter
    counts = hourly_counts(user, client_address, phone)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    if verification is None:
        db.session.execute(delete(PhoneVerification).where(*codes_for(user, recipient)))
        verification = PhoneVerification(user_id=user.id, recipient_id=recipient.id if recipient else None,
                                         phone=phone, code_hash=code_hash(phone, code),
                                         created_at=now, last_sent_at=now, expires_at=now + CODE_LIFETIME)
        db.session.add(verification)
        db.session.flush()
    else:
        # Only one request may renew the code within the minute, however many arrive at once.
        renewed = cast(CursorResult[Any], db.session.execute(
            update(PhoneVerification)
            .where(PhoneVerification.id == verification.id, PhoneVerification.last_sent_at <= now - RESEND_AFTER)
            .values(code_hash=code_hash(phone, code), last_sent_at=now, expires_at=now + CODE_LIFETIME,
                    wrong_attempts=0)
            .execution_options(synchronize_session=False)
        )).rowcount
        if not renewed:
            db.session.rollback()
            return CodeRefusal(TOO_SOON, too_soon=True, retry_at=now + RESEND_AFTER)
    for limit, *keys in counts:
        rate.hit(limit, *keys)
    key = f"verification:{user.id}:{verification.id}:{now.isoformat()}"
    body = wording.verification_text(code, user.language) if recipient is None else wording.recipient_code_text(
        recipient.known_as, code, recipient.language)
    queue_text(user, outbox.VERIFICATION, key, body, recipient=recipient)
    log.info("phone code sent for user %s%s", user.id, " (an extra number)" if recipient else "")
    return None


def check_code(user: User, typed: str, recipient: Recipient | None = None) -> str | None:
    """Verify the typed code, or say why not; every try of six digits counts, right or wrong, before it is
    compared, and anything else (a typo like "12ab") is refused without using one up."""
    phone = (recipient or user).phone
    verification = pending_verification(user, recipient)
    if verification is None:
        return _("There is no code waiting for this number. Send a new code.")
    now = utcnow()
    if verification.expires_at <= now:
        return _("That code has expired. Send a new code.")
    code = "".join(typed.split())
    if not (len(code) == CODE_DIGITS and code.isascii() and code.isdigit()):
        return _("A code is %(digits)s digits, like the one in our text. Type only the digits.", digits=CODE_DIGITS)
    counted = cast(CursorResult[Any], db.session.execute(
        update(PhoneVerification)
        .where(PhoneVerification.id == verification.id, PhoneVerification.wrong_attempts < MAX_WRONG_CODES)
        .values(wrong_attempts=PhoneVerification.wrong_attempts + 1)
        .execution_options(synchronize_session=False)
    )).rowcount
    db.session.commit()
    if not counted:
        return _("Too many wrong codes. Send a new code.")
    assert phone is not None  # its code was sent to it
    if not hmac.compare_digest(code_hash(phone, code), verification.code_hash):
        db.session.refresh(verification)
        left = MAX_WRONG_CODES - verification.wrong_attempts
        if left <= 0:
            return _("That code is not right, and that was the last try. Send a new code.")
        return ngettext("That code is not right. You have %(num)s try left.",
                        "That code is not right. You have %(num)s tries left.", left)
    verification.verified_at = now
    verification.wrong_attempts = 0
    if recipient is not None:
        recipient_confirmed(user, recipient, now)
        return None
    user.phone_verified_at = now
    # Verifying is a fresh opt-in: an earlier STOP from this number no longer holds.
    user.opted_out_at = None
    user.phone_failed_at = None
    user.phone_failure = None
    # The welcome carries fresh levels: it goes with the next read (asked for now), or without them
    # if the platform cannot be read in time (tasks.welcome).
    user.awaiting_first_reading = True
    db.session.commit()
    queues.queue("texts").enqueue(send_welcome, user.id)
    request_sync(user.platform.value, user.platform_user_id)
    log.info("phone verified for user %s", user.id)
    return None


def recipient_confirmed(user: User, recipient: Recipient, now: datetime) -> None:
    """Its owner gave the code: the extra number gets its chosen texts from now on, and one text saying so."""
    recipient.phone_verified_at = now
    recipient.opted_out_at = recipient.phone_failed_at = recipient.phone_failure = None
    db.session.commit()
    queue_text(user, outbox.WELCOME, f"welcome:{user.id}:to:{recipient.id}:{now.isoformat()}",
               wording.recipient_welcome_text(recipient.known_as, recipient.language), recipient=recipient)
    log.info("an extra number confirmed for user %s", user.id)


def queue_test_text(user: User, window: int) -> bool:
    """A test text to the user's verified number, once per `window`; True when this call wrote it."""
    message, written = outbox.write_text(user, outbox.TEST, f"test:{user.id}:{window}",
                                        wording.say(wording.TEST, user.language))
    if written:
        assert message is not None  # written, so there is a row
        start_delivery(message)
    return written
