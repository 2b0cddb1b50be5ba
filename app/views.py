"""The pages people see."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models import OutgoingMessage
from app.providers import configured_platforms

blueprint = Blueprint("views", __name__)

PLATFORM_BUTTONS = {"google": "Connect Google (Pixel Watch, Fitbit)", "fitbit": "Connect Fitbit (legacy)"}


@blueprint.get("/")
def landing():
    return render_template(
        "landing.html",
        platforms=[(name, PLATFORM_BUTTONS[name]) for name in configured_platforms()],
        sandbox=current_app.config["SANDBOX"],
        sandbox_url=current_app.config["SANDBOX_URL"],
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
    texts = db.session.scalars(
        select(OutgoingMessage)
        .where(OutgoingMessage.user_id == current_user.id)
        .order_by(OutgoingMessage.created_at.desc())
        .limit(20)
    ).all()
    devices = sorted(current_user.devices, key=lambda device: device.product_name or "")
    return render_template("dashboard.html", user=current_user, devices=devices, texts=texts)
