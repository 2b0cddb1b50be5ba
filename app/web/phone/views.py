"""The phone step's pages: the number form, then the code form; the work is in numbers and codes."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import phonenumbers
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_time, format_timedelta
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db, limiter
from app.models import User, utcnow
from app.web.phone.codes import (
    CodeRefusal,
    check_code,
    code_refusal,
    pending_verification,
    queue_test_text,
    send_code,
)
from app.web.phone.numbers import (
    PhoneNumberError,
    country_refusal,
    example_number,
    in_country,
    mobile_number,
    region_name,
)

blueprint = Blueprint("phone", __name__, template_folder="templates")

CODE_FORM_POSTS = "30 per hour"
TEST_TEXT_EVERY_SECONDS = 600
# A wait up to this long counts down in seconds; a longer one names the time (phone.js reads the same rule).
WAIT_IN_SECONDS = 120


def finished_url() -> str:
    """The dashboard when it exists, else the home page."""
    if "dashboard.dashboard" in current_app.view_functions:
        return url_for("dashboard.dashboard")
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
    refused_country = country_refusal(number, current_app.config["SMS_COUNTRIES"])
    if refused_country is not None:
        return render_phone(region, error=refused_country, typed=raw), 400
    user: User = current_user
    if user.phone == number and user.phone_verified and user.opted_out_at is None and user.phone_failed_at is None:
        flash(_("That number is already verified, and our texts go to it."), "info")
        return redirect(finished_url())
    previous = (user.phone, user.phone_verified_at, user.phone_failed_at, user.phone_failure)
    if user.phone != number:
        # One number per account: a new number replaces the old one and must be verified again.
        user.phone, user.phone_verified_at, user.phone_failed_at, user.phone_failure = number, None, None, None
    refusal = send_code(user, request.remote_addr)
    if refusal is not None:
        user.phone, user.phone_verified_at, user.phone_failed_at, user.phone_failure = previous
        db.session.commit()
        if refusal.waiting and user.phone == number and code_works_until(user):
            # The last code to this number still works: the code page says so, and when another may come.
            return redirect(url_for("phone.code_form"))
        if refusal.waiting:
            return render_phone(region, typed=raw, wait=waiting(refusal)), 429
        return render_phone(region, error=refusal.message, typed=raw), 429
    return redirect(url_for("phone.code_form"))


@blueprint.post("/phone/again")
@login_required
def texts_back_on():
    """"Turn texts back on" after a STOP: a fresh code to the same number, whose confirmation is the new opt-in."""
    user: User = current_user
    if not user.phone:
        return redirect(url_for("phone.phone_form"))
    refusal = send_code(user, request.remote_addr)
    if refusal is not None and not refusal.waiting:
        flash(str(refusal.message), "error")
    return redirect(url_for("phone.code_form"))


@blueprint.post("/phone/test")
@login_required
def test_text():
    """"Send me a test text" when our texts are not getting through: its delivery receipt clears the warning.
    One per ten minutes: the key repeats within them, and the outbox writes a key once."""
    user: User = current_user
    if not user.phone_verified or user.opted_out_at is not None:
        return redirect(finished_url())
    window = int(utcnow().timestamp()) // TEST_TEXT_EVERY_SECONDS
    if queue_test_text(user, window):
        flash(_("We sent a test text to %(phone)s. If it arrives, the warning goes away by itself.", phone=user.phone),
              "info")
    else:
        flash(_("We sent a test text a few minutes ago; its status is under \u201cTexts we sent\u201d."), "info")
    return redirect(finished_url())


def render_phone(region: str, error: str | None = None, typed: str = "", wait: dict | None = None):
    regions = sorted({*current_app.config["SMS_COUNTRIES"], region}, key=region_name)
    return render_template(
        "phone/number.html", error=error, typed=typed, region=region, wait=wait, example=example_number(region),
        in_country=in_country(region), regions=[(code, region_name(code)) for code in regions], user=current_user,
    )


def clock(at: datetime) -> str:
    """A moment as the signed-in person's wall clock shows it ("14:32"), in their zone (i18n.page_time_zone)."""
    return format_time(at, "HH:mm")


def code_works_until(user: User, recipient=None) -> str | None:
    """When the last code texted to the user's number (or `recipient`'s) stops working, on their clock; None if
    none works now."""
    verification = pending_verification(user, recipient)
    if verification is None or verification.expires_at <= utcnow():
        return None
    return clock(verification.expires_at)


def waiting(refusal: CodeRefusal | None) -> dict | None:
    """A wait before the next code, as the page shows it: the reason, and when another code may be asked for, in
    words ("in 45 seconds", "at 14:32") and as a moment for the countdown (kept live by phone.js)."""
    if refusal is None or refusal.retry_at is None:  # not waiting
        return None
    seconds = max(1, math.ceil((refusal.retry_at - utcnow()).total_seconds()))
    at = _("at %(time)s", time=clock(refusal.retry_at))
    # "in 100 seconds", never rounded up to minutes.
    soon = format_timedelta(timedelta(seconds=seconds), granularity="second", threshold=math.inf,
                            add_direction=True)
    return {"message": str(refusal.message), "iso": refusal.retry_at.isoformat(), "at": at,
            "when": at if seconds > WAIT_IN_SECONDS else soon}


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
        refusal = send_code(user, request.remote_addr)
        if refusal is not None:
            return render_code(refusal=refusal), 429
        flash(_("We sent you a new code."), "info")
        return redirect(url_for("phone.code_form"))
    error = check_code(user, request.form.get("code", ""))
    if error is not None:
        return render_code(error=error), 400
    flash(_("Your number is verified. We have sent you a text with your battery levels."), "success")
    return redirect(finished_url())


def render_code(error: str | None = None, refusal: CodeRefusal | None = None):
    """The code form; a wait before the next code is shown by the resend button, never on the code field."""
    user: User = current_user
    refusal = refusal or code_refusal(user, request.remote_addr)
    return render_template(
        "phone/code.html", error=error, user=user, works_until=code_works_until(user), wait=waiting(refusal),
        refused=None if refusal is None or refusal.waiting else refusal.message,
    )
