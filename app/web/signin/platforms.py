"""Sign-in through Flask-Dance, one blueprint per configured platform, and the handler that links the account."""

from __future__ import annotations

import logging
import os

from flask import Flask, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_dance.consumer import OAuth2ConsumerBlueprint, oauth_authorized, oauth_error
from flask_dance.consumer.storage.sqla import SQLAlchemyStorage
from flask_dance.contrib.fitbit import make_fitbit_blueprint
from flask_dance.contrib.google import make_google_blueprint
from flask_login import current_user, login_user
from oauthlib.oauth2 import OAuth2Error
from requests import RequestException

from app.adapters.providers import PlatformError, client_for, configured_platforms, platform_name, scopes_for
from app.domain import accounts
from app.domain.tokens import session_for
from app.extensions import db, limiter
from app.models import OAuth
from app.tasks.setup import queue_account_setup
from app.web.i18n import current_language

log = logging.getLogger(__name__)

# The providers' names for the permissions we ask for (client.scope_labels), in the page's language.
PERMISSION_WORDS = {"devices and battery": lazy_gettext("devices and battery"), "time zone": lazy_gettext("time zone"),
                    "sync notifications": lazy_gettext("sync notifications")}


def permission_words(label: str) -> str:
    return str(PERMISSION_WORDS.get(label, label))


def register_platforms(app: Flask) -> None:
    """One Flask-Dance blueprint per configured platform, every URL taken from our settings."""
    # oauthlib refuses plain http unless told; only the local emulator speaks it.
    if app.config["SANDBOX"] or app.config["APP_ENV"] != "production":
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    # A partial grant reaches our handler, which explains what is missing, instead of a 500.
    os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    with app.app_context():
        platforms = configured_platforms()
    for platform in platforms:
        app.register_blueprint(_make_blueprint(app, platform), url_prefix="/login")


def _make_blueprint(app: Flask, platform: str) -> OAuth2ConsumerBlueprint:
    config = app.config
    storage = SQLAlchemyStorage(OAuth, db.session, user=current_user, user_required=False)
    if platform == "fitbit":
        bp = make_fitbit_blueprint(
            config["FITBIT_CLIENT_ID"], config["FITBIT_CLIENT_SECRET"],
            scope=list(scopes_for("fitbit")), storage=storage,
        )
        bp.use_pkce = True
        bp.authorization_url = config["FITBIT_AUTHORIZE_URL"]
        bp.token_url = bp.auto_refresh_url = config["FITBIT_API_URL"] + "/oauth2/token"
        bp.base_url = config["FITBIT_API_URL"] + "/"
    else:
        bp = make_google_blueprint(
            config["GOOGLE_CLIENT_ID"], config["GOOGLE_CLIENT_SECRET"],
            scope=list(scopes_for("google")), offline=True, reprompt_consent=True, storage=storage,
        )
        # PKCE on Google too: an authorization code injected into someone else's browser cannot be redeemed there.
        bp.use_pkce = True
        bp.authorization_url = config["GOOGLE_AUTHORIZE_URL"]
        bp.token_url = bp.auto_refresh_url = config["GOOGLE_TOKEN_URL"]
        bp.base_url = config["GOOGLE_HEALTH_API_URL"] + "/"
    oauth_authorized.connect(signed_in, sender=bp)
    oauth_error.connect(consent_refused, sender=bp)
    bp.register_error_handler(OAuth2Error, sign_in_failed)
    bp.register_error_handler(RequestException, sign_in_failed)
    bp.register_error_handler(ValueError, sign_in_failed)
    limiter.limit("20 per minute")(bp)
    return bp


def signed_in(blueprint: OAuth2ConsumerBlueprint, token: dict | None):
    """The platform approved: link the account, store the token, log in, go to the next step."""
    name = platform_name(blueprint.name)
    if not token:
        flash(_("%(platform)s did not let us connect. Please try again.", platform=name), "error")
        return redirect(url_for("signin.landing"))
    client = client_for(blueprint.name)
    missing = client.missing_scopes(token)
    if client.device_scope in missing:
        return redirect(url_for("signin.missing_permission", platform=blueprint.name))
    try:
        identity = client.identify(session_for(client, token), token)
    except PlatformError as error:
        log.warning("sign-in with %s failed reading identity: %s", blueprint.name, type(error).__name__)
        flash(_("%(platform)s did not tell us who you are. Please try again in a minute.", platform=name), "error")
        return redirect(url_for("signin.landing"))
    # The user behind the proxy: login_user(proxy) would make current_user point at itself.
    was_signed_in = current_user._get_current_object() if current_user.is_authenticated else None
    user = accounts.connect_account(blueprint.name, identity, dict(token), was_signed_in, current_language())
    login_user(user, remember=True)
    # The slow parts of signing in (time zone, subscription, first sync) happen in a worker.
    queue_account_setup(user.id)
    if missing:
        labels = ", ".join(permission_words(client.scope_labels.get(scope, scope)) for scope in missing)
        flash(_("Connected. Without the %(permission)s permission some things will not work; "
                "you can grant it by connecting again.", permission=labels), "warning")
    return redirect(url_for("signin.next_step"))


def consent_refused(blueprint, error=None, error_description=None, error_uri=None, **unused):
    flash(_("You chose not to connect %(platform)s. Nothing was stored.", platform=platform_name(blueprint.name)),
          "info")
    return redirect(url_for("signin.landing"))


def sign_in_failed(error: Exception):
    log.warning("sign-in failed: %s", type(error).__name__)
    flash(_("We could not finish connecting your account. Please try again."), "error")
    return redirect(url_for("signin.landing"))
