"""The Vonage SMS API stand-in: accept texts for the phone, answer like Vonage, send delivery receipts."""
import hmac
import secrets
import threading
import time
import uuid

from flask import Blueprint, g, jsonify, request
from vonage_http_client import Auth

from sandbox.context import current_settings, current_world
from sandbox.notifications import compact_json, deliver
from sandbox.traffic import guard, log_platform_request
from sandbox.world import rfc3339, utc_now

blueprint = Blueprint("vonage", __name__, url_prefix="/vonage")
blueprint.before_request(guard("vonage"))
blueprint.after_request(log_platform_request)

SANDBOX_API_KEY = "sandbox-vonage-key"
SANDBOX_NETWORK = "23410"
MESSAGE_PRICE = "0.03330000"
REMAINING_BALANCE = "9.87650000"
SIGNATURE_METHODS = ("sha256", "md5", "sha1", "sha512")
# GSM 03.38, basic set and extension table: what a text sent with type "text" (the default) can carry. The emulator
# keeps its own copy: it never imports the app.
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€\f"
)
SMS_TYPES = ("text", "unicode", "binary")


def as_the_phone_shows(text, sms_type):
    """A text sent as type "text" goes GSM-7: a character GSM-7 lacks arrives as "?"; "unicode" keeps them all."""
    if sms_type == "unicode":
        return text
    return "".join(char if char in GSM7 else "?" for char in text)


def phone_number(text):
    """Vonage numbers are E.164 digits without '+'; returns None for anything that cannot be one."""
    digits = str(text or "").strip().replace(" ", "")
    digits = digits[1:] if digits.startswith("+") else digits
    return digits if digits.isdigit() and 7 <= len(digits) <= 15 else None


def signed(settings, params):
    """Vonage signed webhooks: add timestamp and nonce, then sig = HMAC-SHA256 over the sorted params."""
    secret = settings["VONAGE_SIGNATURE_SECRET"]
    if secret:
        params["timestamp"] = str(int(time.time()))
        params["nonce"] = str(uuid.uuid4())
        api_key = settings["VONAGE_API_KEY"] or SANDBOX_API_KEY
        signer = Auth(api_key=api_key, signature_secret=secret, signature_method="sha256")
        params["sig"] = signer.sign_params(dict(params))
    return params


def _signature_valid(settings, fields):
    secret = settings["VONAGE_SIGNATURE_SECRET"]
    if not secret or not fields.get("sig"):
        return False
    api_key = fields.get("api_key") or SANDBOX_API_KEY
    return any(
        Auth(api_key=api_key, signature_secret=secret, signature_method=method).check_signature(dict(fields))
        for method in SIGNATURE_METHODS
    )


def _authenticated(settings, fields):
    """api_key with api_secret (form, JSON or Basic header) or with a signature; anything goes when no key is set."""
    api_key = settings["VONAGE_API_KEY"]
    if not api_key:
        return True
    basic = request.authorization
    given_key = fields.get("api_key") or (basic.username if basic else "") or ""
    if not hmac.compare_digest(str(given_key), api_key):
        return False
    api_secret = settings["VONAGE_API_SECRET"]
    given_secret = fields.get("api_secret") or (basic.password if basic else "") or ""
    if api_secret is None or (given_secret and hmac.compare_digest(str(given_secret), api_secret)):
        return True
    return _signature_valid(settings, fields)


def _refused(status, error_text, to=None):
    """Vonage reports a refused text with HTTP 200 and a non-zero status plus error-text."""
    message = {"status": status, "error-text": error_text}
    if to:
        message = {"to": to, **message}
    return jsonify({"message-count": "1", "messages": [message]})


@blueprint.post("/sms/json")
def sms():
    settings = current_settings()
    world = current_world()
    fields = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    fields = {name: str(value) for name, value in (fields or {}).items()}
    if not _authenticated(settings, fields):
        return _refused("4", "Bad Credentials")
    for name in ("from", "to", "text"):
        if not fields.get(name):
            return _refused("2", f"Missing {name} param")
    sms_type = fields.get("type") or "text"
    if sms_type not in SMS_TYPES:
        return _refused("3", "Invalid type param")
    to = phone_number(fields["to"])
    if to is None:
        return _refused("3", "Invalid to address", fields["to"])
    g.person_id = to
    with world.lock:
        mode = world.number_modes.get(to)
        thin = world.faults["vonage"].omit_optional_fields
    if mode == "invalid":
        return _refused("6", "Unroutable message - rejected", to)
    message_id = secrets.token_hex(8).upper()
    text = {
        "direction": "to_phone",
        "to": to,
        "from": fields["from"],
        "text": as_the_phone_shows(fields["text"], sms_type),
        "type": sms_type,
        "client_ref": fields.get("client-ref"),
        "message_id": message_id,
        "status": "failed" if mode == "failing" else "delivered",
        "time": rfc3339(utc_now()),
    }
    with world.lock:
        world.texts.append(text)
    _send_receipt_later(world, settings, text)
    accepted = {"to": to, "message-id": message_id, "status": "0"}
    if not thin:
        accepted.update(
            {"remaining-balance": REMAINING_BALANCE, "message-price": MESSAGE_PRICE, "network": SANDBOX_NETWORK}
        )
    if text["client_ref"]:
        accepted["client-ref"] = text["client_ref"]
    return jsonify({"message-count": "1", "messages": [accepted]})


def _send_receipt_later(world, settings, text):
    """Best effort, in the background, a moment after the send answer: a JSON delivery receipt."""
    generation = world.generation

    def send_receipt():
        if world.stopping.wait(settings["VONAGE_RECEIPT_DELAY_SECONDS"]) or world.generation != generation:
            return
        now = utc_now()
        receipt = {
            "msisdn": text["to"],
            "to": text["from"],
            "network-code": SANDBOX_NETWORK,
            "messageId": text["message_id"],
            "price": MESSAGE_PRICE,
            "status": text["status"],
            "scts": now.strftime("%y%m%d%H%M"),
            # err-code 0 is delivered; 1 is "unknown" failure.
            "err-code": "0" if text["status"] == "delivered" else "1",
            "api-key": settings["VONAGE_API_KEY"] or SANDBOX_API_KEY,
            "message-timestamp": now.strftime("%Y-%m-%d %H:%M:%S"),
        }
        if text["client_ref"]:
            receipt["client-ref"] = text["client_ref"]
        body = compact_json(signed(settings, receipt))
        headers = {"Content-Type": "application/json"}
        deliver(world, "vonage", "delivery_receipt", "POST", settings["VONAGE_STATUS_URL"], body, headers)

    threading.Thread(target=send_receipt, name="vonage-receipt", daemon=True).start()
