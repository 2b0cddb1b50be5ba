"""The pages for one's own data: the export download, the privacy page."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required

from app.adapters.providers import platform_name
from app.domain import export, outbox
from app.extensions import db
from app.models import ConnectionState, User
from app.tasks import maintenance
from app.tasks.revocation import disconnect

blueprint = Blueprint("yourdata", __name__, template_folder="templates")

# The export's sections as the privacy page heads them (the file itself keeps its keys).
SECTION_NAMES = {
    "account": lazy_gettext("Account"), "settings": lazy_gettext("Settings"), "people": lazy_gettext("People"),
    "devices": lazy_gettext("Devices"), "readings": lazy_gettext("Readings"), "texts": lazy_gettext("Texts"),
}


@blueprint.get("/settings/my-data")
@login_required
def download():
    """Everything we keep about the account, as a JSON file; never a token, a code or a code hash."""
    body = json.dumps(export.account_data(current_user), indent=2, ensure_ascii=False)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="battery-text-my-data.json"',
        "Cache-Control": "no-store",
    })


@blueprint.get("/privacy")
def privacy():
    """What we keep, why, for how long, who gets what, and how to leave: the words the export is held to."""
    sections = [(SECTION_NAMES.get(key, key.capitalize()), says) for key, says in export.SECTIONS.items()]
    return render_template("yourdata/privacy.html", sections=sections, code_minutes=code_minutes(),
                           reading_days=maintenance.READING_RETENTION_DAYS, text_days=maintenance.TEXT_RETENTION_DAYS)


def code_minutes() -> int:
    return int(outbox.CODE_LIFETIME.total_seconds() // 60)


@blueprint.post("/settings/disconnect")
@login_required
def disconnect_platform():
    """Withdraw our access and stop syncing; the account, its numbers, settings and history stay."""
    user = db.session.get_one(User, current_user.id)
    name = platform_name(user.platform)
    if user.connection_state is not ConnectionState.DISCONNECTED:
        disconnect(user)
    flash(_("%(platform)s is disconnected: we no longer read your trackers or text about them. Your number, settings "
            "and history stay; connect %(platform)s again to resume.", platform=name), "info")
    return redirect(url_for("dashboard.settings"))
