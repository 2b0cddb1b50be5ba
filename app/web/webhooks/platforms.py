"""Fitbit and Google Health push receivers: check who is calling, queue a sync, answer 204 at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeGuard

from flask import Blueprint, Response, abort, current_app, g, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from app.adapters import metrics
from app.extensions import csrf, db, queues
from app.models import PendingPush, utcnow
from app.tasks.sync import request_sync

blueprint = Blueprint("platform_webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(blueprint)
log = logging.getLogger(__name__)

NO_CONTENT = ("", 204)
PUSH_RECEIVERS = {"platform_webhooks.fitbit_push": "fitbit", "platform_webhooks.google_health_push": "google"}


@blueprint.before_request
def start_clock() -> None:
    g.webhook_started = time.perf_counter()


@blueprint.after_request
def count_push(response: Response) -> Response:
    """Every push counted (accepted, refused, failed) and timed; the counts reach Redis within a second, with the
    process's others, not one round trip per push."""
    platform = PUSH_RECEIVERS.get(request.endpoint or "")
    if platform is None or response.status_code == 201:  # 201: Google's verification probe, not a push
        return response
    status = response.status_code
    outcome = "accepted" if status < 300 else "refused" if status < 500 else "failed"
    later = metrics.pending.to(queues.redis)
    metrics.count("battery_pushes", redis=later, platform=platform, outcome=outcome)
    started = g.get("webhook_started")
    if started is not None:  # None: answered before the blueprint's hooks ran (production's redirect to https)
        metrics.observe("battery_webhook_seconds", time.perf_counter() - started, redis=later, platform=platform)
    return response


def fitbit_signature(body: bytes, client_secret: str) -> str:
    """Fitbit signs the raw body with HMAC-SHA1, key client_secret + "&", standard base64."""
    digest = hmac.new((client_secret + "&").encode(), body, hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def raw_body() -> bytes:
    """The body as sent, refused with 413 past the configured size before it is read whole."""
    limit = int(current_app.config["WEBHOOK_MAX_BYTES"])
    if request.content_length is not None and request.content_length > limit:
        abort(413)
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        abort(413)
    return body


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        # RecursionError: a body of deeply nested arrays, well under the size limit.
        abort(400)


def is_owner_id(value: Any) -> TypeGuard[str]:
    """Platform user ids are short printable ASCII; anything else (NUL, lone surrogates) could not be stored
    or keyed."""
    return isinstance(value, str) and 0 < len(value) <= 64 and all("!" <= char <= "~" for char in value)


@blueprint.get("/fitbit")
def fitbit_verification():
    """Fitbit checks a new subscriber with ?verify=<our code> (answer 204) and a wrong code (answer 404)."""
    expected = current_app.config.get("FITBIT_VERIFICATION_CODE") or ""
    given = request.args.get("verify", "")
    if expected and given and hmac.compare_digest(given.encode(), expected.encode()):
        return NO_CONTENT
    abort(404)


@blueprint.post("/fitbit")
def fitbit_push():
    body = raw_body()
    secret = current_app.config.get("FITBIT_CLIENT_SECRET")
    signature = request.headers.get("X-Fitbit-Signature", "")
    # Fitbit's advice: answer a bad signature with 404 and log it, nothing more.
    expected = fitbit_signature(body, secret).encode() if secret else b""
    if not secret or not signature or not hmac.compare_digest(signature.encode(), expected):
        log.warning("fitbit push refused: bad or missing signature")
        abort(404)
    notifications = parse_json(body)
    if isinstance(notifications, dict):
        notifications = [notifications]
    if not isinstance(notifications, list) or not all(isinstance(item, dict) for item in notifications):
        abort(400)
    owners = []
    for item in notifications:
        owner = item.get("ownerId")
        if not is_owner_id(owner):
            abort(400)
        # A revocation is followed by refused tokens; the sync that follows records it.
        owners.append(owner)
    return queue_syncs_or_keep("fitbit", owners)


@blueprint.post("/google-health")
def google_health_push():
    body = raw_body()
    secret = current_app.config.get("GOOGLE_HEALTH_WEBHOOK_SECRET") or ""
    given = request.headers.get("Authorization", "")
    # Google Health sends our secret verbatim in Authorization; the verification probe without it gets 401.
    if not secret or not given or not hmac.compare_digest(given.encode(), secret.encode()):
        abort(401)
    payload = parse_json(body)
    if isinstance(payload, dict) and payload.get("type") == "verification":
        return "", 201
    items = payload if isinstance(payload, list) else [payload]
    owners = []
    for item in items:
        data = item.get("data") if isinstance(item, dict) else None
        if not isinstance(data, dict):
            abort(400)
        owner = data.get("healthUserId")
        if not is_owner_id(owner):
            abort(400)
        if data.get("operation", "UPSERT") not in {"UPSERT", "DELETE"}:
            abort(400)
        owners.append(owner)
    return queue_syncs_or_keep("google", owners)


def queue_syncs_or_keep(platform: str, owners: Iterable[str]):
    """Queue one coalesced sync per user; if Redis is down, keep the push in the database instead."""
    owners = list(dict.fromkeys(owners))
    pushed_at = utcnow()
    try:
        for owner in owners:
            request_sync(platform, owner, pushed_at)
        return NO_CONTENT
    except RedisError as error:
        log.warning("redis unavailable (%s): keeping %d %s pushes in the database",
                    type(error).__name__, len(owners), platform)
    keep_in_database(platform, owners, pushed_at)
    return NO_CONTENT


def keep_in_database(platform: str, owners: list[str], pushed_at: datetime) -> None:
    """One pending push per user, for the sweep to drain once Redis is back; 503 if the database fails too.

    Pushes are served by their own lean app (push_route); the database session is the site app's.
    """
    with current_app.extensions["site_app"].app_context():
        try:
            db.session.add_all(
                PendingPush(platform=platform, platform_user_id=owner, received_at=pushed_at) for owner in owners
            )
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            log.error("neither redis nor the database took a %s push: asking the platform to retry", platform)
            abort(503)
