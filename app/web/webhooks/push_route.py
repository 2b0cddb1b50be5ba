"""Platform pushes served by a lean Flask app of their own: only what a push needs runs on every push.

The site's app runs, on every request, hooks a push has no use for: the session cookie, Flask-Login,
Flask-Dance's OAuth sessions, Flask-Limiter's checks (no limit applies to pushes), Talisman's page headers.
Together they were about a third of a push's Python time at saturation (docs/benchmarks.md, "Profile").
`PushRoute` sends `POST /webhooks/fitbit` and `POST /webhooks/google-health` to an app with the same
configuration, the same Redis pool and the same blueprint (views, signature checks, size limit, counts), plus
the request id and, in production, the https redirect; everything else goes to the site's app as before. It sits
inside the body deadline, the public host and ProxyFix, which every request keeps.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, redirect, request
from flask.sessions import SessionInterface
from werkzeug.wrappers import Response

from app import logs
from app.web.webhooks import platforms

PUSH_PATHS = frozenset({"/webhooks/fitbit", "/webhooks/google-health"})


class PushRoute:
    """WSGI: platform pushes to `pushes`, every other request to `site`."""

    def __init__(self, site, pushes):
        self.site, self.pushes = site, pushes

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") in PUSH_PATHS:
            return self.pushes(environ, start_response)
        return self.site(environ, start_response)


def push_app(site: Flask) -> Flask:
    """The pushes' app, sharing `site`'s configuration and extensions (the Redis pool among them).

    The database is the site's: a push kept there during a Redis outage is written in the site's app context
    (platforms.keep_in_database), since Flask-SQLAlchemy binds its engines to one app.
    """
    pushes = Flask(platforms.__name__)
    pushes.config = site.config
    pushes.extensions = site.extensions
    pushes.extensions["site_app"] = site
    pushes.session_interface = NoSessions()
    pushes.before_request(logs.name_the_request)
    if site.config["APP_ENV"] == "production":
        pushes.before_request(https_only)
    pushes.after_request(logs.answer_the_request_id)
    pushes.register_blueprint(platforms.blueprint)
    return pushes


class NoSessions(SessionInterface):
    """A push carries no cookie: no session is read or written (one that is used fails loudly, as Flask's null
    session does)."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response) -> None:
        return None


def https_only() -> Response | None:
    """As the site's pages (Talisman's force_https): plain http is sent to https, here before the body is read."""
    if request.is_secure or request.headers.get("X-Forwarded-Proto", "http") == "https":
        return None
    return redirect(request.url.replace("http://", "https://", 1), code=302)
