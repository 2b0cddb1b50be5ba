"""The pages people see."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

blueprint = Blueprint("views", __name__)


@blueprint.get("/")
def landing():
    return render_template("landing.html", sandbox=current_app.config["SANDBOX"])
