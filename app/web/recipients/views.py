"""The pages for extra numbers: add one (a code goes to it), type the code its owner gives you, choose, remove."""

from __future__ import annotations

import phonenumbers
from babel import Locale
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, lazy_gettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.domain.audience import MAX_RECIPIENTS, recipients_of
from app.extensions import db, limiter
from app.models import User
from app.models.recipients import CHOOSABLE_TEXTS, Recipient
from app.texts.languages import DEFAULT_LANGUAGE, LANGUAGES
from app.web.phone.codes import CodeRefusal, check_code, code_refusal, send_code
from app.web.phone.numbers import example_number, in_country, region_name
from app.web.phone.views import CODE_FORM_POSTS, code_works_until, waiting
from app.web.recipients.form import RecipientForm, read_form, read_texts

blueprint = Blueprint("recipients", __name__, template_folder="templates")

STOPPED = lazy_gettext("This number replied STOP, so we text it nothing, not even a code, until its owner texts START.")


@blueprint.app_template_global()
def language_name(code: str) -> str:
    """A language as the page's sentences name it: "German" on an English page, "Deutsch" on a German one."""
    language = code if code in LANGUAGES else DEFAULT_LANGUAGE
    name = Locale.parse(language).get_display_name(get_locale() or DEFAULT_LANGUAGE)
    assert name is not None  # Babel names each language we speak
    return name


def own_recipient(recipient_id: int) -> Recipient:
    """One of the signed-in account's extra numbers, or 404: never another account's."""
    recipient = db.session.scalars(
        select(Recipient).where(Recipient.id == recipient_id, Recipient.user_id == current_user.id)
    ).first()
    if recipient is None:
        abort(404)
    return recipient


def region_of(form) -> str:
    default_region = str(current_app.config["PHONE_DEFAULT_REGION"]).upper()
    region = (form.get("region") or default_region).upper()
    return region if region in phonenumbers.SUPPORTED_REGIONS else default_region


@blueprint.route("/people/new", methods=["GET", "POST"])
@login_required
def add():
    """Add an extra number: nothing but the code text goes to it until its owner's code is typed here."""
    user: User = current_user
    others = recipients_of(user)
    region = region_of(request.form)
    if len(others) >= MAX_RECIPIENTS:
        flash(_("Up to %(count)s people can get your texts. Remove one to add another.", count=MAX_RECIPIENTS), "info")
        return redirect(url_for("dashboard.dashboard"))
    if request.method == "GET":
        language = user.language if user.language in LANGUAGES else RecipientForm.language
        return render_add(RecipientForm(known_as=(user.display_name or "").split(" ")[0], language=language), region)
    form = read_form(request.form, region, user, others)
    if form.errors:
        return render_add(form, region, typed=request.form.get("phone", "")), 400
    recipient = Recipient(user_id=user.id, phone=form.phone, known_as=form.known_as, texts=",".join(form.texts),
                          language=form.language)
    db.session.add(recipient)
    db.session.flush()
    refusal = send_code(user, request.remote_addr, recipient)
    if refusal is not None:
        db.session.rollback()
        form.errors["phone"] = str(refusal.message)
        return render_add(form, region, typed=request.form.get("phone", ""), wait=waiting(refusal)), 429
    return redirect(url_for("recipients.code_form", recipient_id=recipient.id))


def render_add(form: RecipientForm, region: str, typed: str = "", wait: dict | None = None):
    regions = sorted({*current_app.config["SMS_COUNTRIES"], region}, key=region_name)
    return render_template(
        "recipients/add.html", form=form, typed=typed, region=region, wait=wait, example=example_number(region),
        in_country=in_country(region), regions=[(code, region_name(code)) for code in regions],
        choices=CHOOSABLE_TEXTS, max_recipients=MAX_RECIPIENTS, languages=LANGUAGES,
    )


@blueprint.route("/people/<int:recipient_id>/code", methods=["GET", "POST"])
@login_required
@limiter.limit(CODE_FORM_POSTS, methods=["POST"])
def code_form(recipient_id: int):
    """The code its owner gives you, typed here: the same tries, resends and limits as your own number's code."""
    user: User = current_user
    recipient = own_recipient(recipient_id)
    if recipient.phone_verified:
        return redirect(url_for("recipients.manage", recipient_id=recipient.id))
    if request.method == "GET":
        return render_code(recipient)
    if "resend" in request.form:
        refusal = None if recipient.opted_out_at is None else CodeRefusal(STOPPED)
        refusal = refusal or send_code(user, request.remote_addr, recipient)
        if refusal is not None:
            return render_code(recipient, refusal=refusal), 429
        flash(_("We sent a new code to %(phone)s.", phone=recipient.phone), "info")
        return redirect(url_for("recipients.code_form", recipient_id=recipient.id))
    # A STOP from the number outweighs a code given before it: its owner has said no.
    error = STOPPED if recipient.opted_out_at is not None else check_code(user, request.form.get("code", ""), recipient)
    if error is not None:
        return render_code(recipient, error=error), 400
    flash(_("%(phone)s is confirmed: its owner gets the texts you chose from now on.", phone=recipient.phone),
          "success")
    return redirect(url_for("dashboard.dashboard"))


def render_code(recipient: Recipient, error: str | None = None, refusal: CodeRefusal | None = None):
    user: User = current_user
    if recipient.opted_out_at is not None:
        refusal = CodeRefusal(STOPPED)
    refusal = refusal or code_refusal(user, request.remote_addr, recipient=recipient)
    return render_template(
        "recipients/code.html", recipient=recipient, error=error, works_until=code_works_until(user, recipient),
        wait=waiting(refusal), refused=None if refusal is None or refusal.waiting else refusal.message,
    )


@blueprint.route("/people/<int:recipient_id>", methods=["GET", "POST"])
@login_required
def manage(recipient_id: int):
    """Which texts this number gets; saved at once, used from the next alert."""
    recipient = own_recipient(recipient_id)
    form = RecipientForm(phone=recipient.phone, known_as=recipient.known_as,
                         texts=[kind for kind in CHOOSABLE_TEXTS if kind in recipient.chosen_texts])
    if request.method == "POST":
        read_texts(request.form.getlist("texts"), form)
        if form.errors:
            return render_template("recipients/manage.html", recipient=recipient, form=form,
                                   choices=CHOOSABLE_TEXTS), 400
        recipient.texts = ",".join(form.texts)
        db.session.commit()
        flash(_("Saved: %(phone)s gets the texts you ticked.", phone=recipient.phone), "success")
        return redirect(url_for("dashboard.dashboard"))
    return render_template("recipients/manage.html", recipient=recipient, form=form, choices=CHOOSABLE_TEXTS)


@blueprint.post("/people/<int:recipient_id>/remove")
@login_required
def remove(recipient_id: int):
    """Removing a number stops its texts at once and texts nobody: its row, codes and texts go (ON DELETE CASCADE)."""
    recipient = own_recipient(recipient_id)
    phone = recipient.phone
    db.session.delete(recipient)
    db.session.commit()
    flash(_("%(phone)s is removed and gets no more texts from us.", phone=phone), "info")
    return redirect(url_for("dashboard.dashboard"))
