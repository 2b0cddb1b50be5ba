"""The application factory: configuration, then extensions, then blueprints."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import load_settings


def create_app(overrides: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(load_settings(environ))
    if overrides:
        app.config.update(overrides)
    configure_logging(app)
    register_error_reporting(app)
    route_pushes(app)
    register_extensions(app)
    register_blueprints(app)
    hops = int(app.config["FORWARDED_HOPS"])
    if app.config["APP_ENV"] == "production" and hops > 0:
        # Behind the platform's router, the one place forwarded headers are read (gunicorn reads none): the
        # client address, scheme and port come from the X-Forwarded-For/-Proto/-Port entries our own proxies
        # added; the per-address rate limits need the real client address. Never the host: a client can send
        # any X-Forwarded-Host. Outermost, so that PUBLIC_URL (app.web.security.PublicHost) has the last word on
        # the host and port of every absolute URL.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_port=hops)
    return app


def configure_logging(app: Flask) -> None:
    from app import logs

    logs.configure(app)


def register_error_reporting(app: Flask) -> None:
    # Without SENTRY_DSN the Sentry SDK is not even imported.
    if app.config["SENTRY_DSN"]:
        from app.adapters import error_reporting

        error_reporting.init_app(app)


def route_pushes(app: Flask) -> None:
    # Before the extensions: the pushes' app shares their state, and the body deadline, public host and ProxyFix
    # wrap it as they wrap the site.
    from app.web.webhooks import push_route

    app.wsgi_app = push_route.PushRoute(app.wsgi_app, push_route.push_app(app).wsgi_app)


def register_extensions(app: Flask) -> None:
    from app.extensions import csrf, db, limiter, login_manager, migrate, queues, release_session, token_cipher
    from app.models import recipients  # noqa: F401  the extra numbers' table, in the metadata migrations compare
    from app.web import i18n, security

    security.init_app(app)
    db.init_app(app)
    # Runs before Flask-SQLAlchemy's own teardown (the last registered runs first), which then has nothing left.
    app.teardown_appcontext(release_session)
    migrate.init_app(app, db, render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    # The queues' Redis pool is the rate limiter's too: it must exist before the limiter is bound.
    queues.init_app(app)
    limiter.init_app(app)
    token_cipher.init_app(app)
    i18n.init_app(app)


def register_blueprints(app: Flask) -> None:
    from app.web import admin, dashboard, health, phone, recipients, signin, yourdata
    from app.web.webhooks import platforms, vonage

    app.register_blueprint(health.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(platforms.blueprint)
    app.register_blueprint(signin.blueprint)
    signin.register_platforms(app)
    app.register_blueprint(dashboard.blueprint)
    app.register_blueprint(phone.blueprint)
    app.register_blueprint(recipients.blueprint)
    app.register_blueprint(yourdata.blueprint)
    app.register_blueprint(vonage.blueprint)
