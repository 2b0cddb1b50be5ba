"""Vonage webhooks: inbound texts and delivery receipts, signature-checked, answered at once, worked in jobs."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, abort, current_app, request
from sqlalchemy import update

from app.adapters.sms import e164_number, signature_is_valid
from app.extensions import csrf, db, queues
from app.models import User, utcnow
from app.models.recipients import Recipient
from app.tasks.receipts import record_receipt
from app.tasks.replies import handle_reply
from app.texts import wording

blueprint = Blueprint("vonage_webhooks", __name__, url_prefix="/webhooks/vonage")
csrf.exempt(blueprint)
log = logging.getLogger(__name__)

# POST only (form or JSON): a GET could be fired by an <img> tag on any site, and its query string lands
# in access logs. Vonage's dashboard lets the webhook method be set to POST.
METHODS = ["POST"]
# A signed request older (or newer) than this is a replay: Vonage's signature check ignores the timestamp.
SIGNATURE_MAX_AGE_SECONDS = 300
# Each inbound message is acted on once, STOP included, however often it is replayed.
INBOUND_SEEN_SECONDS = 7 * 24 * 3600


@blueprint.before_request
def limit_body_size() -> None:
    request.max_content_length = int(current_app.config["WEBHOOK_MAX_BYTES"])


def signed_fields() -> dict[str, str]:
    """The webhook's fields from wherever Vonage put them, after the signature check when a secret is set."""
    try:
        fields: object = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    except RecursionError:
        # A deeply nested JSON body, well under the size limit: unreadable, so refused before anything else.
        abort(400)
    if not isinstance(fields, dict):
        abort(400)
    secret = current_app.config.get("VONAGE_SIGNATURE_SECRET")
    if secret and not signature_is_valid(fields, secret):
        log.warning("vonage webhook %s refused: missing or bad signature", request.path)
        abort(401)
    if secret and not signed_just_now(fields.get("timestamp"), time.time()):
        log.warning("vonage webhook %s refused: signed too long ago", request.path)
        abort(401)
    return {str(name): "" if value is None else str(value) for name, value in fields.items()}


def signed_just_now(timestamp: object, now: float) -> bool:
    """The signed `timestamp` (Unix seconds) is within a few minutes of `now` (Unix seconds), either way.

    `now` is passed in, read once per request, so a test can stand at the window's exact edge.
    """
    text = str(timestamp or "")
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        return False
    return abs(now - int(text)) <= SIGNATURE_MAX_AGE_SECONDS


def first_time_seen(message_id: str) -> bool:
    """True once per inbound messageId: a replayed STOP, START or BATTERY does nothing the second time."""
    return bool(queues.redis.set(f"vonage:inbound:{message_id}", 1, nx=True, ex=INBOUND_SEEN_SECONDS))


@blueprint.route("/inbound", methods=METHODS)
def inbound():
    """A text from a user's phone. STOP takes effect here, before the answer, so no later send slips out."""
    fields = signed_fields()
    msisdn = fields.get("msisdn", "")
    phone = e164_number(msisdn)
    message_id = fields.get("messageId", "")
    if not (phone and message_id) or len(message_id) > 64:
        abort(400)
    if not first_time_seen(message_id):
        return "", 200
    text = fields.get("text", "")
    if wording.reply_keyword(text) is wording.Reply.STOP:
        # The number stops, whether an account's own or an extra one: never the other numbers of its accounts.
        for holder in (User, Recipient):
            db.session.execute(
                update(holder)
                .where(holder.phone == phone, holder.opted_out_at.is_(None))
                .values(opted_out_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        db.session.commit()
    queues.queue("texts").enqueue(handle_reply, msisdn, text, message_id)
    return "", 200


@blueprint.route("/status", methods=METHODS)
def status():
    """A delivery receipt: which of our texts reached the phone."""
    fields = signed_fields()
    message_id = fields.get("messageId", "")
    receipt_status = fields.get("status", "")
    if not (message_id or fields.get("client-ref")) or not receipt_status:
        abort(400)
    queues.queue("texts").enqueue(
        record_receipt, message_id, receipt_status, fields.get("err-code"), fields.get("client-ref")
    )
    return "", 200
