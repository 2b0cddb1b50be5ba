"""Browser-facing hardening: security headers with a content security policy, https and cookie flags in production."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask
from flask_talisman import Talisman

# Pages load scripts, styles and images from our own origin only: no inline code, no third parties.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": ["'self'", "data:"],
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
}
# How long "remember me" keeps a browser signed in; sign-out ends it sooner (the session version).
REMEMBER_FOR = timedelta(days=30)
# Forms are small; webhooks have their own, smaller limit (WEBHOOK_MAX_BYTES).
MAX_REQUEST_BYTES = 1024 * 1024


def init_app(app: Flask) -> None:
    """Headers on every response; https redirects, HSTS and Secure cookies only in production, so local
    and CI http (webhooks included) keep working."""
    production = app.config["APP_ENV"] == "production"
    # Flask's own defaults already hold the key (as None), so setdefault would change nothing.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    # Flask-Login's remember-me cookie gets the session cookie's flags.
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    if app.config.get("PUBLIC_URL"):
        app.wsgi_app = PublicHost(app.wsgi_app, str(app.config["PUBLIC_URL"]))
    app.config.setdefault("REMEMBER_COOKIE_DURATION", REMEMBER_FOR)
    # One Talisman per app: it keeps its options on itself, and tests build apps of both kinds.
    app.extensions["talisman"] = Talisman(
        app,
        force_https=production,
        strict_transport_security=production,
        session_cookie_secure=production,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
    )


class PublicHost:
    """Every request is taken as addressed to PUBLIC_URL's host, whatever Host it carried.

    Absolute URLs (the OAuth redirect_uri Flask-Dance builds, the https redirect) are built from the request's
    host, and a client chooses its Host header: with this, a spoofed one never reaches a URL we hand out.
    The scheme still comes from the request, so plain http is still redirected to https.
    """

    def __init__(self, wsgi_app, public_url: str):
        self.wsgi_app = wsgi_app
        self.host = urlsplit(public_url).netloc

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        environ["HTTP_HOST"] = self.host
        return self.wsgi_app(environ, start_response)
