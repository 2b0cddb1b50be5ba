"""The pages people see: the landing page, the dashboard with its live-updated parts, and the settings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from app import alerts, wording
from app.charts import battery_chart
from app.extensions import db
from app.models import BatteryReading, ConnectionState, Device, MessageStatus, OutgoingMessage, User, utcnow
from app.outbox import VERIFICATION
from app.providers import configured_platforms
from app.settings_form import PLATFORM_ZONE, THRESHOLD_RANGE, AlertSettingsForm, time_zones

blueprint = Blueprint("views", __name__)

PLATFORM_BUTTONS = {"google": "Connect Google", "fitbit": "Connect Fitbit"}
PLATFORM_HINTS = {"google": "Pixel Watch, and Fitbit accounts moved to Google", "fitbit": "older Fitbit accounts"}
PLATFORM_NAMES = {"google": "Google", "fitbit": "Fitbit"}
CHART_RANGES = (7, 30)
TEXTS_SHOWN = 20
TEXT_KINDS = {
    "low": "Battery low", "empty": "Battery empty", "silent": "Not syncing", "welcome": "Welcome",
    "verification": "Code", "reply": "Answer", "opt_out": "Stopped", "reconnect": "Reconnect",
    "retired": "Fitbit retired",
}


@dataclass(frozen=True)
class Banner:
    """A state that needs the user to act, in one sentence, with the link that fixes it."""

    tone: str
    message: str
    action: str | None = None
    url: str | None = None


@blueprint.get("/")
def landing():
    return render_template(
        "landing.html",
        platforms=[(name, PLATFORM_BUTTONS[name], PLATFORM_HINTS[name]) for name in configured_platforms()],
        sandbox=current_app.config["SANDBOX"],
        sandbox_url=current_app.config["SANDBOX_URL"],
        sample_text=alerts.LOW_AT_LEVEL.format(name="Charge 6", level=15),
    )


@blueprint.get("/next")
@login_required
def next_step():
    """After sign-in: the phone step until the number is confirmed, then the dashboard."""
    if not current_user.phone_verified:
        return redirect("/phone")
    return redirect(url_for("views.dashboard"))


@blueprint.get("/dashboard")
@login_required
def dashboard():
    days = chart_days()
    return render_template(
        "dashboard.html", user=current_user, banners=banners(current_user), ranges=CHART_RANGES,
        **dashboard_parts(current_user, days),
    )


@blueprint.get("/dashboard/parts")
@login_required
def dashboard_live_parts():
    """The devices and texts alone: what the live dashboard fetches when an event says they changed."""
    return render_template("_dashboard_parts.html", user=current_user, **dashboard_parts(current_user, chart_days()))


def chart_days() -> int:
    days = request.args.get("days", type=int)
    return days if days in CHART_RANGES else CHART_RANGES[0]


def dashboard_parts(user: User, days: int) -> dict:
    now = utcnow()
    zone = user_zone(user)
    devices = sorted(user.devices, key=lambda device: (device.device_type == "SCALE", device.product_name or ""))
    history = readings_since(devices, now - timedelta(days=days))
    cards = [
        {
            "device": device,
            "name": device.product_name or wording.FALLBACK_NAMES.get(device.device_type, "tracker").capitalize(),
            "last_sync": moment(device.last_sync_at, now, zone),
            "chart": Markup(battery_chart(
                history[device.id], now, days, zone.key, threshold=user.threshold_percent,
                label=device.product_name or "Tracker",
            )),
            "low": device.battery_level is not None and device.battery_level <= user.threshold_percent
            or (device.battery_status or "").lower() in {"low", "empty", "critical"},
        }
        for device in devices
    ]
    texts = db.session.scalars(
        select(OutgoingMessage)
        .where(OutgoingMessage.user_id == user.id)
        .order_by(OutgoingMessage.created_at.desc(), OutgoingMessage.id.desc())
        .limit(TEXTS_SHOWN)
    ).all()
    return {
        "cards": cards,
        "days": days,
        "texts": [text_row(text, now, zone) for text in texts],
        "last_synced": moment(user.last_synced_at, now, zone),
    }


def readings_since(devices: list[Device], start: datetime) -> dict[int, list[tuple[datetime, int | None]]]:
    history: dict[int, list[tuple[datetime, int | None]]] = defaultdict(list)
    if not devices:
        return history
    rows = db.session.execute(
        select(BatteryReading.device_id, BatteryReading.read_at, BatteryReading.battery_level)
        .where(BatteryReading.device_id.in_([device.id for device in devices]), BatteryReading.read_at >= start)
        .order_by(BatteryReading.read_at)
    )
    for device_id, read_at, level in rows:
        history[device_id].append((read_at, level))
    return history


def text_row(text: OutgoingMessage, now: datetime, zone: ZoneInfo) -> dict:
    # A code must never be readable here: the dashboard is not the phone it proves.
    body = wording.VERIFICATION_REDACTED if text.kind == VERIFICATION else text.body
    return {
        "kind": TEXT_KINDS.get(text.kind, text.kind.replace("_", " ").capitalize()),
        "body": body,
        "status": text.status.value,
        "status_label": delivery_status(text, now, zone),
        "when": moment(text.created_at, now, zone),
    }


def delivery_status(text: OutgoingMessage, now: datetime, zone: ZoneInfo) -> str:
    """Where the text is, in the user's words."""
    if text.status is MessageStatus.QUEUED:
        if text.send_after is not None and text.send_after > now and text.attempts == 0:
            return f"Held for quiet hours until {text.send_after.astimezone(zone):%H:%M}"
        return "Sending"
    if text.status is MessageStatus.SUBMITTED:
        return "Sent, waiting for the phone network"
    if text.status is MessageStatus.DELIVERED:
        return "Delivered"
    if text.status is MessageStatus.FAILED:
        return "Not delivered"
    return "Not sent" + (f": {text.error}" if text.error else "")


def user_zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def moment(at: datetime | None, now: datetime, zone: ZoneInfo) -> dict | None:
    """A time as people say it ("3 hours ago") and as the clock on their wall shows it."""
    if at is None:
        return None
    local = at.astimezone(zone)
    return {"iso": at.isoformat(), "ago": ago(at, now), "local": f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"}


def ago(at: datetime, now: datetime) -> str:
    seconds = (now - at).total_seconds()
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def banners(user: User) -> list[Banner]:
    """One banner per state that stops texts or needs the user, most urgent first."""
    platforms = configured_platforms()
    found: list[Banner] = []
    if user.connection_state is ConnectionState.PLATFORM_RETIRED:
        found.append(Banner(
            "bad", "Fitbit has switched off its old service, so we cannot read your trackers. Reconnect with Google "
            "to keep your alerts: your number, settings and history stay.",
            "Reconnect with Google", url_for("google.login") if "google" in platforms else None,
        ))
    elif user.connection_state in (ConnectionState.NEEDS_RECONNECT, ConnectionState.DISCONNECTED):
        name = PLATFORM_NAMES[user.platform.value]
        found.append(Banner(
            "bad", f"We can no longer read your trackers from {name}, so alerts are off.",
            f"Reconnect {name}", url_for(f"{user.platform.value}.login") if user.platform.value in platforms else None,
        ))
    if not user.phone:
        found.append(Banner("warn", "Add your mobile number to get texts.", "Add your number", url_for("phone.phone_form")))
    elif not user.phone_verified:
        found.append(Banner("warn", f"Verify your phone: enter the code we texted to {user.phone}.", "Enter the code",
                            url_for("phone.code_form")))
    elif user.phone_failed_at is not None:
        found.append(Banner("bad", f"Our texts to {user.phone} are not getting through.", "Check your number",
                            url_for("phone.phone_form")))
    if user.opted_out_at is not None:
        found.append(Banner("warn", "You replied STOP, so we send you no texts. Reply START to turn them back on.",
                            "Or verify your number again", url_for("phone.phone_form")))
    if user.paused:
        found.append(Banner("warn", "Alerts are paused: we send no battery texts.", "Turn them back on",
                            url_for("views.settings")))
    return found


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
    return redirect(url_for("views.settings"))


def render_settings(user: User, form: AlertSettingsForm):
    return render_template(
        "settings.html", user=user, form=form, zones=time_zones(), platform_zone=PLATFORM_ZONE,
        platform_name=PLATFORM_NAMES[user.platform.value], threshold_range=THRESHOLD_RANGE,
    )
