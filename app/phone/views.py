"""The phone step's pages: the number form, then the code form; the work is in numbers and codes."""

from __future__ import annotations

import phonenumbers
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.extensions import db, limiter
from app.models import User
from app.phone.codes import CODE_LIFETIME, check_code, send_code
from app.phone.numbers import PhoneNumberError, country_refusal, mobile_number, region_name

blueprint = Blueprint("phone", __name__, template_folder="templates")

CODE_FORM_POSTS = "30 per hour"


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
    if user.phone == number and user.phone_verified:
        flash("That number is already verified.", "info")
        return redirect(finished_url())
    previous = (user.phone, user.phone_verified_at, user.phone_failed_at, user.phone_failure)
    if user.phone != number:
        # One number per account: a new number replaces the old one and must be verified again.
        user.phone, user.phone_verified_at, user.phone_failed_at, user.phone_failure = number, None, None, None
    refusal = send_code(user, request.remote_addr)
    if refusal is not None:
        user.phone, user.phone_verified_at, user.phone_failed_at, user.phone_failure = previous
        db.session.commit()
        if refusal.too_soon and user.phone == number:
            flash(refusal.message, "error")
            return redirect(url_for("phone.code_form"))
        return render_phone(region, error=refusal.message, typed=raw), 429
    return redirect(url_for("phone.code_form"))


def render_phone(region: str, error: str | None = None, typed: str = ""):
    regions = sorted({*current_app.config["SMS_COUNTRIES"], region}, key=region_name)
    return render_template(
        "phone/number.html", error=error, typed=typed, region=region,
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
        refusal = send_code(user, request.remote_addr)
        if refusal is not None:
            return render_code(error=refusal.message), 429
        flash("We sent you a new code.", "info")
        return redirect(url_for("phone.code_form"))
    error = check_code(user, request.form.get("code", ""))
    if error is not None:
        return render_code(error=error), 400
    flash("Your number is verified. We have sent you a text with your battery levels.", "success")
    return redirect(finished_url())


def render_code(error: str | None = None):
    return render_template("phone/code.html", error=error, user=current_user, lifetime=int(CODE_LIFETIME.seconds / 60))
