"""A tiny stand-in for our app's webhooks, for the emulator's own tests: it records what arrives."""

from __future__ import annotations

import threading

from flask import Flask, request

from sandbox.server import LiveServer


class Subscriber:
    """Our app's webhooks reduced to recording what arrives and answering as the test says."""

    def __init__(self, verification_code="sandbox-verify-code", google_secret="sandbox-google-webhook-secret"):
        self.verification_code = verification_code
        self.google_secret = google_secret
        self.google_answers = []
        self.received = []
        self._lock = threading.Lock()
        app = Flask("subscriber")
        app.add_url_rule("/webhooks/fitbit", view_func=self.fitbit, methods=["GET", "POST"])
        app.add_url_rule("/webhooks/google-health", view_func=self.google, methods=["POST"])
        app.add_url_rule("/webhooks/vonage/inbound", view_func=self.vonage, methods=["POST"], endpoint="inbound")
        app.add_url_rule("/webhooks/vonage/status", view_func=self.vonage, methods=["POST"], endpoint="status")
        self.server = LiveServer(app)
        self.url = self.server.url

    def _record(self):
        with self._lock:
            self.received.append(
                {
                    "path": request.path,
                    "method": request.method,
                    "args": request.args.to_dict(),
                    "headers": dict(request.headers),
                    "body": request.get_data(),
                }
            )

    def fitbit(self):
        self._record()
        if request.method == "GET":
            return "", 204 if request.args.get("verify") == self.verification_code else 404
        return "", 204

    def google(self):
        self._record()
        if (request.get_json(silent=True) or {}).get("type") == "verification":
            return "", 201 if request.headers.get("Authorization") == self.google_secret else 401
        with self._lock:
            status = self.google_answers.pop(0) if self.google_answers else 204
        return "", status

    def vonage(self):
        self._record()
        return "", 204

    def arrivals(self, path, method="POST"):
        with self._lock:
            return [entry for entry in self.received if entry["path"] == path and entry["method"] == method]

    def stop(self) -> None:
        self.server.stop()
