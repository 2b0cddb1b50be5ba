"""Vonage webhooks: inbound texts and delivery receipts, signature-checked, answered at once, worked in jobs."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, request
from sqlalchemy import update

from app import wording
from app.extensions import csrf, db, queues
from app.models import User, utcnow
from app.sms import e164_number, signature_is_valid
from app.tasks.receipts import record_receipt
from app.tasks.replies import handle_reply

blueprint = Blueprint("vonage_webhooks", __name__, url_prefix="/webhooks/vonage")
csrf.exempt(blueprint)
log = logging.getLogger(__name__)

# Vonage can be set to call with GET (query), POST form or POST JSON; every method is served.
METHODS = ["GET", "POST"]


@blueprint.before_request
def limit_body_size() -> None:
    request.max_content_length = int(current_app.config["WEBHOOK_MAX_BYTES"])


def signed_fields() -> dict[str, str]:
    """The webhook's fields from wherever Vonage put them, after the signature check when a secret is set."""
    try:
        if request.method == "GET":
            fields: object = request.args.to_dict()
        elif request.is_json:
            fields = request.get_json(silent=True)
        else:
            fields = request.form.to_dict()
    except RecursionError:
        # A deeply nested JSON body, well under the size limit: unreadable, so refused before anything else.
        abort(400)
    if not isinstance(fields, dict):
        abort(400)
    secret = current_app.config.get("VONAGE_SIGNATURE_SECRET")
    if secret and not signature_is_valid(fields, secret):
        log.warning("vonage webhook %s refused: missing or bad signature", request.path)
        abort(401)
    return {str(name): "" if value is None else str(value) for name, value in fields.items()}


@blueprint.route("/inbound", methods=METHODS)
def inbound():
    """A text from a user's phone. STOP takes effect here, before the answer, so no later send slips out."""
    fields = signed_fields()
    msisdn = fields.get("msisdn", "")
    phone = e164_number(msisdn)
    message_id = fields.get("messageId", "")
    if not (phone and message_id):
        abort(400)
    text = fields.get("text", "")
    if wording.reply_keyword(text) is wording.Reply.STOP:
        db.session.execute(
            update(User)
            .where(User.phone == phone, User.opted_out_at.is_(None))
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
