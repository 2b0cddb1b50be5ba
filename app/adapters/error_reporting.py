"""Error reports to Sentry, set up only when SENTRY_DSN is set: Flask and RQ, with no personal data in any event.

The factory imports this module only with a DSN, so without one no Sentry code runs at all. Every event goes
through `scrubbed` before it leaves: Sentry's own scrubber removes values under sensitive keys (tokens, cookies,
`phone`, `code`, …) at any depth, and ours then blanks, in every string left, phone numbers, six-digit codes,
long token-like strings and the deployment's own secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sentry_sdk
from flask import Flask
from sentry_sdk.integrations.flask import FlaskIntegration
from sentry_sdk.integrations.rq import RqIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST, EventScrubber
from sentry_sdk.types import Event, Hint

FILTERED = "[Filtered]"
SENSITIVE_KEYS = [
    "access_token", "refresh_token", "id_token", "token", "code", "code_hash", "phone", "to", "from", "msisdn",
    "body", "text", "client_secret", "signature", "verify", "healthuserid", "ownerid", "platform_user_id",
]
PHONE_NUMBER = re.compile(r"(?<![\w-])\+?\d(?: ?\d){6,14}(?![\w-])")
CODE = re.compile(r"(?<![\w.])\d{6}(?![\w.])")
# OAuth tokens, Fernet ciphertexts, API secrets: long runs of URL-safe characters with letters and digits.
TOKEN_LIKE = re.compile(r"[A-Za-z0-9_~+=.-]{24,}")
UUID = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")
# Where the SDK keeps times, ids, code locations and its own description: left alone (a path is not a secret).
KEPT_KEYS = frozenset({"timestamp", "start_timestamp", "event_id", "trace_id", "span_id", "parent_span_id",
                       "release", "abs_path", "filename", "module", "function", "package", "sdk", "modules",
                       "platform"})
SECRET_SETTINGS = ("SECRET_KEY", "TOKEN_ENCRYPTION_KEY", "FITBIT_CLIENT_SECRET", "GOOGLE_CLIENT_SECRET",
                   "GOOGLE_HEALTH_WEBHOOK_SECRET", "VONAGE_API_SECRET", "VONAGE_SIGNATURE_SECRET", "METRICS_TOKEN")


def init_app(app: Flask) -> None:
    secrets = [str(app.config[name]) for name in SECRET_SETTINGS if app.config.get(name)]

    def before_send(event: Event, _hint: Hint) -> Event:
        return scrubbed(event, secrets)

    sentry_sdk.init(
        dsn=str(app.config["SENTRY_DSN"]),
        environment=str(app.config["APP_ENV"]),
        integrations=[FlaskIntegration(), RqIntegration()],
        send_default_pii=False,
        # Webhook and form bodies carry platform user ids, numbers and codes: never sent.
        max_request_body_size="never",
        event_scrubber=EventScrubber(denylist=DEFAULT_DENYLIST + DEFAULT_PII_DENYLIST + SENSITIVE_KEYS,
                                     recursive=True),
        before_send=before_send,
        before_breadcrumb=lambda crumb, _hint: scrubbed(crumb, secrets),
    )


def scrubbed(value: Any, secrets: Iterable[str] = (), key: str = "") -> Any:
    """The event with every phone number, code, token-like string and known secret in its strings blanked."""
    if key in KEPT_KEYS:
        return value
    if isinstance(value, dict):
        return {name: scrubbed(item, secrets, str(name)) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrubbed(item, secrets, key) for item in value]
    if isinstance(value, str):
        return scrub_text(value, secrets)
    return value


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        text = text.replace(secret, FILTERED)
    text = TOKEN_LIKE.sub(lambda match: _token_or_keep(match.group()), text)
    text = PHONE_NUMBER.sub(FILTERED, text)
    return CODE.sub(FILTERED, text)


def _token_or_keep(word: str) -> str:
    """A job id (a UUID) or a dotted name stays; anything else long with letters and digits is taken for a token."""
    if UUID.fullmatch(word) or not (re.search(r"\d", word) and re.search(r"[A-Za-z]", word)):
        return word
    return FILTERED
