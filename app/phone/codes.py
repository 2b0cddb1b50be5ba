"""The phone step: take a mobile number, text it a 6-digit code, and verify it."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

import phonenumbers
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from limits import parse
from phonenumbers import NumberParseException, PhoneNumberType
from phonenumbers.geocoder import country_name_for_number
from sqlalchemy import delete, select, update

from app import outbox, wording
from app.extensions import db, limiter, queues
from app.models import PhoneVerification, User, utcnow
from app.tasks.texts import send_welcome

blueprint = Blueprint("phone", __name__)
log = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_LIFETIME = outbox.CODE_LIFETIME
MAX_WRONG_CODES = 5
RESEND_AFTER = timedelta(minutes=1)
# Codes texted, counted in Redis: per number so nobody can pump texts at one phone, per client
# address so nobody can pump texts at many.
CODES_PER_NUMBER = parse("5 per hour")
CODES_PER_ADDRESS = parse("10 per hour")
CODE_FORM_POSTS = "30 per hour"

# Only these can receive texts; US and Canadian numbers cannot be told apart from landlines.
TEXTABLE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
NOT_TEXTABLE = {
    PhoneNumberType.FIXED_LINE: "a landline",
    PhoneNumberType.TOLL_FREE: "a free-phone number",
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.VOIP: "an internet (VoIP) number",
    PhoneNumberType.PERSONAL_NUMBER: "a personal forwarding number",
    PhoneNumberType.PAGER: "a pager number",
    PhoneNumberType.UAN: "a company switchboard number",
    PhoneNumberType.VOICEMAIL: "a voicemail number",
}
REGIONS = ("GB", "US", "CA", "IE", "AU", "NZ", "DE", "FR", "ES", "IT", "NL", "BE", "SE", "IN", "JP", "BR", "ZA")


class PhoneNumberError(ValueError):
    """A number we cannot text; the message says why in the user's words."""


@dataclass(frozen=True)
class CodeRefusal:
    """Why no code was sent; `too_soon` means the last code, a minute old at most, is still the one to use."""

    message: str
    too_soon: bool = False


def mobile_number(raw: str, region: str) -> str:
    """Parse what the user typed (in their chosen region unless it starts with +) into E.164, or say why not."""
    if not raw.strip():
        raise PhoneNumberError("Enter your mobile number.")
    try:
        number = phonenumbers.parse(raw, region.upper())
    except NumberParseException:
        raise PhoneNumberError(
            "That does not look like a phone number. Type it with its country code, like +44 7700 900123, "
            "or choose its country."
        ) from None
    if not phonenumbers.is_valid_number(number):
        country = phonenumbers.region_code_for_number(number) or region.upper()
        raise PhoneNumberError(
            f"That is not a valid number in {region_name(country)}. Check the digits and the country."
        )
    kind = phonenumbers.number_type(number)
    if kind not in TEXTABLE:
        described = NOT_TEXTABLE.get(kind, "a number that cannot receive texts")
        raise PhoneNumberError(f"That is {described}, which cannot receive texts. Enter a mobile number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_name(region: str) -> str:
    example = phonenumbers.example_number(region)
    name = country_name_for_number(example, "en") if example else ""
    return name or region


def code_hash(phone: str, code: str) -> str:
    """HMAC-SHA256 of number and code with the app's secret as pepper: a leaked table reveals no codes."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def pending_verification(user: User) -> PhoneVerification | None:
    """The code waiting for the user's current number; one at most, since a new number clears the rest."""
    return db.session.scalars(
        select(PhoneVerification)
        .where(
            PhoneVerification.user_id == user.id,
            PhoneVerification.phone == user.phone,
            PhoneVerification.verified_at.is_(None),
        )
        .order_by(PhoneVerification.id.desc())
        .limit(1)
    ).first()


def send_code(user: User) -> CodeRefusal | None:
    """Text a fresh code to the user's number, within the once-a-minute and per-hour limits."""
    now = utcnow()
    verification = pending_verification(user)
    if verification is not None and now - verification.last_sent_at < RESEND_AFTER:
        wait = int((verification.last_sent_at + RESEND_AFTER - now).total_seconds()) + 1
        return CodeRefusal(f"We sent a code less than a minute ago. You can ask for another in {wait} seconds.", too_soon=True)
    address = request.remote_addr or "unknown"
    rate = limiter.limiter
    if not rate.test(CODES_PER_NUMBER, "phone-codes-number", user.phone) or not rate.test(
        CODES_PER_ADDRESS, "phone-codes-address", address
    ):
        log.warning("phone code refused for user %s: hourly limit reached", user.id)
        return CodeRefusal("Too many codes have been sent. Please try again in an hour.")
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    if verification is None:
        db.session.execute(
            delete(PhoneVerification).where(
                PhoneVerification.user_id == user.id, PhoneVerification.verified_at.is_(None)
            )
        )
        verification = PhoneVerification(user_id=user.id, phone=user.phone, code_hash=code_hash(user.phone, code),
                                         created_at=now, last_sent_at=now, expires_at=now + CODE_LIFETIME)
        db.session.add(verification)
        db.session.flush()
    else:
        # Only one request may renew the code within the minute, however many arrive at once.
        renewed = db.session.execute(
            update(PhoneVerification)
            .where(PhoneVerification.id == verification.id, PhoneVerification.last_sent_at <= now - RESEND_AFTER)
            .values(code_hash=code_hash(user.phone, code), last_sent_at=now, expires_at=now + CODE_LIFETIME,
                    wrong_attempts=0)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not renewed:
            db.session.rollback()
            return CodeRefusal("We sent a code less than a minute ago. You can ask for another shortly.", too_soon=True)
    rate.hit(CODES_PER_NUMBER, "phone-codes-number", user.phone)
    rate.hit(CODES_PER_ADDRESS, "phone-codes-address", address)
    key = f"verification:{user.id}:{verification.id}:{now.isoformat()}"
    outbox.queue_text(user, outbox.VERIFICATION, key, wording.verification_text(code))
    log.info("phone code sent for user %s", user.id)
    return None


def finished_url() -> str:
    """The dashboard when it exists, else the home page."""
    if "views.dashboard" in current_app.view_functions:
        return url_for("views.dashboard")
    return "/"


@blueprint.route("/phone", methods=["GET", "POST"])
@login_required
def phone_form():
    default_region = str(current_app.config["PHONE_DEFAULT_REGION"]).upper()
    region = (request.form.get("region") or default_region).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        region = default_region
    if request.method == "GET":
        return render_phone(region)
    raw = request.form.get("phone", "")
    try:
        number = mobile_number(raw, region)
    except PhoneNumberError as error:
        return render_phone(region, error=str(error), typed=raw), 400
    user: User = current_user
    if user.phone == number and user.phone_verified:
        flash("That number is already verified.", "info")
        return redirect(finished_url())
    previous = (user.phone, user.phone_verified_at, user.phone_failed_at, user.phone_failure)
    if user.phone != number:
        # One number per account: a new number replaces the old one and must be verified again.
        user.phone, user.phone_verified_at, user.phone_failed_at, user.phone_failure = number, None, None, None
    refusal = send_code(user)
    if refusal is not None:
        user.phone, user.phone_verified_at, user.phone_failed_at, user.phone_failure = previous
        db.session.commit()
        if refusal.too_soon and user.phone == number:
            flash(refusal.message, "error")
            return redirect(url_for("phone.code_form"))
        return render_phone(region, error=refusal.message, typed=raw), 429
    return redirect(url_for("phone.code_form"))


def render_phone(region: str, error: str | None = None, typed: str = ""):
    regions = sorted({*REGIONS, region}, key=region_name)
    return render_template(
        "phone.html", error=error, typed=typed, region=region,
        regions=[(code, region_name(code)) for code in regions], user=current_user,
    )


@blueprint.route("/phone/code", methods=["GET", "POST"])
@login_required
@limiter.limit(CODE_FORM_POSTS, methods=["POST"])
def code_form():
    user: User = current_user
    if not user.phone:
        return redirect(url_for("phone.phone_form"))
    if request.method == "GET":
        return render_code()
    if "resend" in request.form:
        refusal = send_code(user)
        if refusal is not None:
            return render_code(error=refusal.message), 429
        flash("We sent you a new code.", "info")
        return redirect(url_for("phone.code_form"))
    error = check_code(user, request.form.get("code", ""))
    if error is not None:
        return render_code(error=error), 400
    flash("Your number is verified. We have sent you a text with your battery levels.", "success")
    return redirect(finished_url())


def check_code(user: User, typed: str) -> str | None:
    """Verify the typed code, or say why not; every try counts, right or wrong, before it is compared."""
    verification = pending_verification(user)
    if verification is None:
        return "There is no code waiting for this number. Send a new code."
    now = utcnow()
    if verification.expires_at <= now:
        return "That code has expired. Send a new code."
    counted = db.session.execute(
        update(PhoneVerification)
        .where(PhoneVerification.id == verification.id, PhoneVerification.wrong_attempts < MAX_WRONG_CODES)
        .values(wrong_attempts=PhoneVerification.wrong_attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not counted:
        return "Too many wrong codes. Send a new code."
    code = "".join(typed.split())
    well_formed = len(code) == CODE_DIGITS and code.isdigit()
    matches = hmac.compare_digest(code_hash(user.phone, code), verification.code_hash)
    if not (well_formed and matches):
        db.session.refresh(verification)
        left = MAX_WRONG_CODES - verification.wrong_attempts
        if left <= 0:
            return "That code is not right, and that was the last try. Send a new code."
        return f"That code is not right. You have {left} {'try' if left == 1 else 'tries'} left."
    verification.verified_at = now
    verification.wrong_attempts = 0
    user.phone_verified_at = now
    # Verifying is a fresh opt-in: an earlier STOP from this number no longer holds.
    user.opted_out_at = None
    user.phone_failed_at = None
    user.phone_failure = None
    db.session.commit()
    queues.queue("texts").enqueue(send_welcome, user.id)
    log.info("phone verified for user %s", user.id)
    return None


def render_code(error: str | None = None):
    return render_template("phone_code.html", error=error, user=current_user, lifetime=int(CODE_LIFETIME.seconds / 60))
