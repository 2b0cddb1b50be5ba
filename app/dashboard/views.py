"""The dashboard and settings pages; the live parts of the dashboard are fetched again when an event arrives."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.dashboard.banners import banners
from app.dashboard.presenting import dashboard_parts
from app.dashboard.settings_form import PLATFORM_ZONE, THRESHOLD_RANGE, AlertSettingsForm, time_zones
from app.extensions import db
from app.models import User
from app.providers import platform_name

blueprint = Blueprint("dashboard", __name__, template_folder="templates")

CHART_RANGES = (7, 30)


@blueprint.get("/dashboard")
@login_required
def dashboard():
    days = chart_days()
    return render_template(
        "dashboard/dashboard.html", user=current_user, banners=banners(current_user), ranges=CHART_RANGES,
        **dashboard_parts(current_user, days),
    )


@blueprint.get("/dashboard/parts")
@login_required
def live_parts():
    """The devices and texts alone: what the live dashboard fetches when an event says they changed."""
    return render_template("dashboard/_parts.html", user=current_user, **dashboard_parts(current_user, chart_days()))


def chart_days() -> int:
    days = request.args.get("days", type=int)
    return days if days in CHART_RANGES else CHART_RANGES[0]


@blueprint.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Alert settings; a form with any error is shown again with its messages and nothing is saved."""
    user: User = current_user
    if request.method == "GET":
        return render_settings(user, AlertSettingsForm.from_user(user))
    form = AlertSettingsForm.from_post(request.form)
    if form.errors:
        db.session.rollback()
        return render_settings(user, form), 400
    form.apply_to(user)
    db.session.commit()
    flash("Your settings are saved. They apply from your tracker's next sync.", "success")
    return redirect(url_for("dashboard.settings"))


def render_settings(user: User, form: AlertSettingsForm):
    return render_template(
        "dashboard/settings.html", user=user, form=form, zones=time_zones(), platform_zone=PLATFORM_ZONE,
        platform_name=platform_name(user.platform), threshold_range=THRESHOLD_RANGE,
    )
