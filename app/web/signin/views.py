"""The pages around signing in: the landing page, the next step after it, a missing permission, sign-out, leaving."""

from __future__ import annotations

from babel.lists import format_list
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, lazy_gettext
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.exceptions import HTTPException

from app.adapters.providers import client_for, configured_platforms, platform_name
from app.domain import accounts
from app.extensions import csrf, db, login_manager
from app.models import User
from app.tasks.revocation import before_delete
from app.texts import alert_texts
from app.texts.languages import best_language, supported
from app.web.i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_SECONDS, current_language
from app.web.signin.platforms import permission_words

blueprint = Blueprint("signin", __name__, template_folder="templates")

PLATFORM_BUTTONS = {"google": lazy_gettext("Connect Google"), "fitbit": lazy_gettext("Connect Fitbit")}
PLATFORM_HINTS = {"google": lazy_gettext("Pixel Watch and Fitbit"), "fitbit": lazy_gettext("older Fitbit accounts")}
# The word that confirms deleting; the English one works whatever the page's language.
DELETE_WORD = "delete"

login_manager.login_view = "signin.landing"
login_manager.login_message = lazy_gettext("Please connect your account first.")


@login_manager.user_loader
def load_user(alternative_id: str) -> User | None:
    return accounts.user_for_session(alternative_id)


def offered_platforms() -> list[str]:
    """The sign-ins the landing page offers. Fitbit switched its old Web API off on 2026-11-02, so a new visitor
    who connected it would land straight on the "reconnect with Google" banner: where Google is configured it is
    the one way in, for Fitbit accounts too (an account made with the old sign-in moves over, matched by its
    legacy Fitbit id). `/login/fitbit` still answers for links people kept. docs/architecture.md, "Connect Fitbit"."""
    configured = configured_platforms()
    return ["google"] if "google" in configured else configured


@blueprint.get("/")
def landing():
    return render_template(
        "signin/landing.html",
        platforms=[(name, PLATFORM_BUTTONS[name], PLATFORM_HINTS[name]) for name in offered_platforms()],
        sandbox=current_app.config["SANDBOX"],
        sandbox_url=current_app.config["SANDBOX_URL"],
        # The text as it would reach the visitor's phone, in the language they are reading.
        sample_text=alert_texts.render(alert_texts.LOW_AT_LEVEL, {"name": "Charge 6", "level": 15},
                                       language=current_language()),
    )


@blueprint.get("/help")
def help_page():
    """What people can text us (HELP, STOP, START, BATTERY) and when we text them."""
    names = [platform_name(name) for name in offered_platforms()]
    platforms = format_list(names, style="or", locale=get_locale()) if names else _("wearable")
    return render_template("signin/help.html", platforms=platforms)


@blueprint.app_errorhandler(404)
def not_found(error: HTTPException):
    """A branded page for people; machines (webhooks, JSON clients) keep the plain answer."""
    if not request.accept_mimetypes.accept_html:
        return error
    return render_template("errors/404.html"), 404


@blueprint.app_errorhandler(500)
def server_error(error: HTTPException):
    """Rendered without the context processors: the signed-in user cannot be read when the database is down, so
    the language is the visitor's switch or browser, never the account's."""
    language = best_language(supported(request.cookies.get(LANGUAGE_COOKIE)), request.accept_languages)
    with force_locale(language):
        return current_app.jinja_env.get_template("errors/500.html").render(page_language=language), 500


@blueprint.post("/language")
@csrf.exempt
def choose_language():
    """The language switch (a form, so it works without JavaScript): kept in a cookie for visitors and on the
    account once signed in, then back to the page it was pressed on. A visitor's switch needs no CSRF token (a
    landing page left open for a day still switches); a signed-in one does, since it changes their texts."""
    if current_user.is_authenticated:
        csrf.protect()
    language = supported(request.form.get("language"))
    back = request.form.get("next", "")
    # Only a path of this site: never another host ("//evil.example") or a scheme.
    if not back.startswith("/") or back.startswith(("//", "/\\")):
        back = url_for("signin.landing")
    response = redirect(back)
    if language is None:
        return response
    if current_user.is_authenticated:
        user = db.session.get_one(User, current_user.id)
        user.language = language
        db.session.commit()
    return keep_language(response, language)


@blueprint.get("/next")
@login_required
def next_step():
    """After sign-in: the phone step until the number is confirmed, then the dashboard."""
    if not current_user.phone_verified:
        return redirect("/phone")
    return redirect("/dashboard")


@blueprint.get("/login/<platform>/missing-permission")
def missing_permission(platform: str):
    if platform not in PLATFORM_BUTTONS:
        return redirect(url_for("signin.landing"))
    client = client_for(platform)
    return render_template(
        "signin/missing_permission.html", platform=platform, platform_name=platform_name(platform),
        permission=permission_words(client.scope_labels[client.device_scope]),
    ), 403


@blueprint.post("/logout")
@login_required
def logout():
    """Signing out ends every session of the account, on every browser and phone: a copied or saved cookie
    (remember-me included) is refused afterwards. The pages after it keep the account's language."""
    language = current_user.language
    accounts.end_every_session(db.session.get_one(User, current_user.id))
    flash(_("You are signed out on every browser and phone. Alerts keep coming to your phone."), "info")
    logout_user()
    return keep_language(redirect(url_for("signin.landing")), language)


@blueprint.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    """Deleting asks once more; the platform is told best-effort, our rows go whatever it answers."""
    # Translators: the word someone types to confirm deleting their account, lower case.
    word = _("delete")
    if request.method == "GET":
        return render_template("signin/delete_account.html", confirm_word=word)
    # Phones capitalise the first letter and may add a space after a word: "Delete " is still the word.
    if request.form.get("confirm", "").strip().casefold() not in {word.casefold(), DELETE_WORD}:
        return render_template("signin/delete_account.html", confirm_word=word,
                               error=_("Type the word %(word)s to confirm.", word=word)), 400
    user = db.session.get_one(User, current_user.id)
    language = user.language
    flash(_("Your account and everything we stored about it are deleted."), "info")
    before_delete(user)
    logout_user()
    accounts.forget_user(user)
    return keep_language(redirect(url_for("signin.landing")), language)


def keep_language(response, language: str | None):
    """The browser keeps reading the language it was reading once the account is gone from it."""
    if supported(language):
        response.set_cookie(LANGUAGE_COOKIE, supported(language), max_age=LANGUAGE_COOKIE_SECONDS, samesite="Lax",
                            secure=request.is_secure, httponly=True)
    return response
