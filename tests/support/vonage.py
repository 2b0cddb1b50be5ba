"""Vonage as the tests play it: the SMS API's answers for `responses`, and webhook fields signed as Vonage signs."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl

import responses

# A host only `responses` answers: the SDK is pointed at it, so no test can reach the real Vonage.
VONAGE_SETTINGS = {
    "SMS_BACKEND": "vonage",
    "VONAGE_API_KEY": "abc123",
    "VONAGE_API_SECRET": "s3cr3t",
    "VONAGE_FROM": "BatteryText",
    "VONAGE_REST_HOST": "rest.example-vonage.test",
    "VONAGE_API_HOST": "api.example-vonage.test",
    "VONAGE_TIMEOUT_SECONDS": 7,
}
VONAGE_SMS_URL = "https://rest.example-vonage.test/sms/json"


def accepted(message_id: str = "0A0000000123ABCD", client_ref: str | None = None) -> dict:
    """The SMS API's answer when it takes a text."""
    message = {"to": "447700900123", "message-id": message_id, "status": "0", "remaining-balance": "3.14",
               "message-price": "0.0333", "network": "23410"}
    if client_ref:
        message["client-ref"] = client_ref
    return {"message-count": "1", "messages": [message]}


def refused(status: str, error_text: str) -> dict:
    """The SMS API's answer when it will not take a text: a non-zero status, with a 200."""
    return {"message-count": "1", "messages": [{"to": "447700900123", "status": status, "error-text": error_text}]}


def sent_fields(call) -> dict[str, str]:
    """The form fields of a request `responses` recorded."""
    return dict(parse_qsl(call.request.body))


def vonage_signed(params: dict[str, str], secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Sign webhook fields as Vonage does: HMAC-SHA256 over '&name=value' of the sorted fields.

    Vonage writes '&' and '=' inside values as '_' before signing.
    """
    fields = {**params, "timestamp": str(timestamp if timestamp is not None else int(time.time()))}
    digest = hmac.new(secret.encode(), digestmod=hashlib.sha256)
    for name in sorted(fields):
        value = fields[name].replace("&", "_").replace("=", "_")
        digest.update(f"&{name}={value}".encode())
    return {**fields, "sig": digest.hexdigest()}


# The outbox backend posts each text here; `responses` answers as the SMS API does when it takes one.
PHONE_URL = "http://phone.example.test/vonage/sms/json"


@contextmanager
def phone_stand_in(app, monkeypatch) -> Iterator[responses.RequestsMock]:
    """A stand-in for the texting service: every text that reaches a phone is one `responses` call."""
    monkeypatch.setitem(app.config, "SMS_BACKEND", "outbox")
    monkeypatch.setitem(app.config, "SMS_OUTBOX_URL", PHONE_URL)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(PHONE_URL, json={"message-count": "1", "messages": [{"message-id": "SANDBOX1", "status": "0"}]})
        yield mock
