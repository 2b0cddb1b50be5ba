"""Browser-facing hardening: security headers with a content security policy, https and cookie flags in production."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask
from flask_talisman import Talisman
from werkzeug.exceptions import RequestTimeout

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
# The longest a request body may take to arrive: a real one takes milliseconds, a trickle holds a thread.
BODY_SECONDS = 10


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
    app.wsgi_app = BodyDeadline(app.wsgi_app, float(app.config.get("REQUEST_BODY_SECONDS", BODY_SECONDS)))
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


class BodyDeadline:
    """A request body must arrive within `seconds` of the first read, or the request ends with 408.

    gunicorn's threads wait on a socket for as long as a client trickles bytes into it: sixteen slow
    clients held every thread and /healthz stopped answering. Under gunicorn the client socket is in the
    environ; one watchdog thread per process shuts the socket's reading side when a body's time is up,
    which ends the blocked read at once. Elsewhere (the development server, the test client) there is no
    socket and nothing changes.
    """

    def __init__(self, wsgi_app, seconds: float):
        self.wsgi_app = wsgi_app
        self.seconds = seconds
        self.watchdog = _Watchdog()

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        client = environ.get("gunicorn.socket")
        if client is None:
            return self.wsgi_app(environ, start_response)
        body = _DeadlineInput(environ["wsgi.input"], client, self.seconds, self.watchdog)
        environ["wsgi.input"] = body
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            body.finished()


class _Watchdog:
    """One thread per process that cuts off bodies whose deadline has passed."""

    def __init__(self):
        self.due: dict[int, tuple[float, socket.socket, _DeadlineInput]] = {}
        self.wakeup = threading.Condition()
        self.thread: threading.Thread | None = None
        # When the thread next looks; a body due later needs no wake-up (under load: almost every body, since
        # each is due `seconds` after its first read), which spares a thread switch per request.
        self.wakes_at = float("inf")

    def watch(self, body: _DeadlineInput, client: socket.socket, deadline: float) -> None:
        with self.wakeup:
            self.due[id(body)] = (deadline, client, body)
            if self.thread is None or not self.thread.is_alive():  # gunicorn forks workers: start in each
                self.thread = threading.Thread(target=self._run, name="body-deadline", daemon=True)
                self.thread.start()
            if deadline < self.wakes_at:
                self.wakeup.notify()

    def forget(self, body: _DeadlineInput) -> None:
        with self.wakeup:
            self.due.pop(id(body), None)

    def _run(self) -> None:
        with self.wakeup:
            while True:
                now = time.monotonic()
                for key, (deadline, client, body) in list(self.due.items()):
                    if deadline <= now:
                        del self.due[key]
                        body.cut_off = True
                        with contextlib.suppress(OSError):
                            client.shutdown(socket.SHUT_RD)
                soonest = min((deadline for deadline, _, _ in self.due.values()), default=now + 60)
                self.wakes_at = max(now + 0.05, soonest)
                self.wakeup.wait(self.wakes_at - now)


class _DeadlineInput:
    def __init__(self, stream, client: socket.socket, seconds: float, watchdog: _Watchdog):
        self.stream, self.client, self.seconds, self.watchdog = stream, client, seconds, watchdog
        self.watched = False
        self.cut_off = False

    def _bounded(self, read, *args):
        if not self.watched:
            self.watched = True
            self.watchdog.watch(self, self.client, time.monotonic() + self.seconds)
        data = read(*args)
        if self.cut_off:
            raise RequestTimeout("The request body took too long to arrive.")
        return data

    def finished(self) -> None:
        if self.watched:
            self.watchdog.forget(self)

    def read(self, *args):
        return self._bounded(self.stream.read, *args)

    def readline(self, *args):
        return self._bounded(self.stream.readline, *args)

    def readlines(self, *args):
        return self._bounded(self.stream.readlines, *args)

    def __iter__(self):
        return iter(self.readline, b"")
