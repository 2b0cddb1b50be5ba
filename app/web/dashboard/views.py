"""The dashboard and settings pages; the live parts of the dashboard are fetched again when an event arrives."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.adapters import events
from app.adapters.providers import platform_name
from app.extensions import db, limiter
from app.models import User, utcnow
from app.tasks.sync import request_sync
from app.web.dashboard.banners import banners, paused_until
from app.web.dashboard.device_settings import DeviceSettingsForm
from app.web.dashboard.presenting import dashboard_parts
from app.web.dashboard.settings_form import PLATFORM_ZONE, THRESHOLD_RANGE, AlertSettingsForm, places, zone_label

blueprint = Blueprint("dashboard", __name__, template_folder="templates")

CHART_RANGES = (7, 30)
CHECKS_PER_HOUR = "20 per hour"


@blueprint.get("/dashboard")
@login_required
def dashboard():
    return render_template(
        "dashboard/dashboard.html", user=current_user, banners=banners(current_user), ranges=CHART_RANGES,
        **dashboard_parts(current_user, chart_days(), texts_page()),
    )


@blueprint.get("/dashboard/parts")
@login_required
def live_parts():
    """The banners, devices and texts alone: what the live dashboard fetches when an event says they changed."""
    return render_template("dashboard/_parts.html", user=current_user, banners=banners(current_user),
                           ranges=CHART_RANGES, **dashboard_parts(current_user, chart_days(), texts_page()))


def texts_page() -> int:
    return max(1, min(request.args.get("page", 1, type=int), 1000))


def chart_days() -> int:
    days = request.args.get("days", type=int)
    return days if days in CHART_RANGES else CHART_RANGES[0]


@blueprint.post("/dashboard/check")
@login_required
@limiter.limit(CHECKS_PER_HOUR)
def check_now():
    """"Check now": read the platform again at once (a read already waiting covers it), then the page updates."""
    user: User = current_user
    request_sync(user.platform.value, user.platform_user_id)
    flash(_("We are reading your %(platform)s account now; what we find appears here by itself.",
            platform=platform_name(user.platform)), "info")
    return redirect(url_for("dashboard.dashboard"))


@blueprint.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Alert settings; a form with any error is shown again with its messages and nothing is saved."""
    user: User = current_user
    if request.method == "GET":
        return render_settings(user, AlertSettingsForm.from_user(user, utcnow()),
                               DeviceSettingsForm.from_devices(user.devices))
    form = AlertSettingsForm.from_post(request.form)
    device_form = DeviceSettingsForm.from_post(user.devices, request.form)
    form.errors.update(device_form.errors)
    if form.errors:
        db.session.rollback()
        return render_settings(user, form, device_form), 400
    form.apply_to(user, utcnow())
    device_form.apply_to(user.devices)
    db.session.commit()
    # The user's other open dashboards (another tab, their phone) show the pause and alert levels at once.
    events.publish(user.id, {"type": "account", "settings": "saved"})
    # In the language just chosen: the next page speaks it.
    with force_locale(user.language):
        flash(_("Your settings are saved. They apply from your tracker's next sync."), "success")
    return redirect(url_for("dashboard.settings"))


@blueprint.post("/settings/resume")
@login_required
def resume():
    """"Turn them back on" on the paused banner: battery texts resume in one click."""
    user: User = current_user
    user.paused = False
    user.paused_until = None
    db.session.commit()
    events.publish(user.id, {"type": "account", "paused": False})
    flash(_("Battery texts are back on."), "success")
    return redirect(url_for("dashboard.dashboard"))


def render_settings(user: User, form: AlertSettingsForm, device_form: DeviceSettingsForm):
    return render_template(
        "dashboard/settings.html", user=user, form=form, device_form=device_form, places=places(),
        zone_label=zone_label,
        platform_zone=PLATFORM_ZONE, platform_name=platform_name(user.platform), threshold_range=THRESHOLD_RANGE,
        paused_until=paused_until(user),
    )
