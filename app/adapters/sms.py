"""Sending texts: the Vonage SMS API (the only module that imports vonage) and the outbox stand-in."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from vonage import Auth, HttpClientOptions, Vonage
from vonage_http_client import Auth as SignatureAuth
from vonage_http_client.errors import HttpRequestError
from vonage_sms import SmsError, SmsMessage

from app.texts.segments import encoding

# Vonage SMS API per-message status codes (answered with HTTP 200): 0 is accepted.
INTERNAL_ERROR = "5"
TRANSIENT_STATUSES = frozenset({INTERNAL_ERROR})
# About our account, not the phone: throttled, invalid credentials, account barred, out of credit (quota),
# too many binds, HTTP not enabled, invalid signature, sender refused, signature and secret disallowed.
# The text goes out once the account works: retried with backoff, never failed.
ACCOUNT_STATUSES = frozenset({"1", "4", "8", "9", "10", "11", "14", "15", "32"})
# About the number: invalid parameters (the "to" number), unroutable, barred, not whitelisted (trial
# accounts: destination not allowed), de-activated. The text fails and the phone is flagged.
NUMBER_STATUSES = frozenset({"3", "6", "7", "29", "33"})
# Any other non-zero status is about this request (missing parameters, too long, …): it fails.

# Vonage's signature secret needs an api key beside it; the key takes no part in the digest.
SIGNATURE_PLACEHOLDER_KEY = "signature-check"


class SmsSendError(Exception):
    """A text that was not accepted; `reason` is safe to store and show (it never holds the body)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TransientSmsError(SmsSendError):
    """Try again later. `maybe_sent` says the provider may have taken the text (a read timeout)."""

    def __init__(self, reason: str, *, maybe_sent: bool = False):
        super().__init__(reason)
        self.maybe_sent = maybe_sent


class AccountRefused(TransientSmsError):
    """Vonage refused our account (credentials, credit, throttling, sender): nothing about this number or text."""


class PermanentSmsError(SmsSendError):
    """Trying again will not help. `number_problem` says the number itself is at fault (flag it)."""

    def __init__(self, reason: str, *, number_problem: bool):
        super().__init__(reason)
        self.number_problem = number_problem


@dataclass(frozen=True)
class OutgoingText:
    """What a backend needs: E.164 `to`, the body, and our unguessable reference sent as Vonage's client-ref."""

    to: str
    text: str
    client_ref: str


class SmsBackend(Protocol):
    def send(self, text: OutgoingText) -> str:
        """Hand the text over and return the provider's message id, or raise an SmsSendError."""


def vonage_type(text: str) -> str | None:
    """Vonage's `type`: "unicode" for a text that needs UCS-2 (sent as "text", GSM-7, its characters would arrive
    as question marks); None leaves Vonage's default, "text"."""
    return "unicode" if encoding(text) == "UCS-2" else None


def vonage_number(e164: str) -> str:
    """Vonage writes numbers as E.164 digits without the '+'."""
    return e164.removeprefix("+")


def e164_number(msisdn: str) -> str | None:
    """The number a Vonage webhook names (digits, a '+' tolerated) as we store it, or None if it is no number."""
    digits = msisdn.strip().removeprefix("+")
    return "+" + digits if digits.isdigit() else None


def refused(status: str, error_text: str) -> SmsSendError:
    """Turn a Vonage per-message status into our own error kind."""
    reason = f"Vonage status {status}: {error_text}"[:200]
    if status in ACCOUNT_STATUSES:
        return AccountRefused(reason)
    if status in TRANSIENT_STATUSES:
        return TransientSmsError(reason)
    return PermanentSmsError(reason, number_problem=status in NUMBER_STATUSES)


def network_error(error: requests.RequestException) -> TransientSmsError:
    """A connection that never opened did not deliver the text; anything later might have."""
    never_connected = isinstance(error, requests.ConnectTimeout) or (
        isinstance(error, requests.ConnectionError)
        and any(marker in repr(error) for marker in ("NewConnectionError", "NameResolutionError", "Connection refused"))
    )
    return TransientSmsError(f"network: {type(error).__name__}", maybe_sent=not never_connected)


def http_error(status_code: int) -> SmsSendError:
    # 5xx is an outage, 401/403 our credentials or account, 429 throttling: none took the text.
    if status_code >= 500:
        return TransientSmsError(f"HTTP {status_code} from Vonage")
    if status_code in (401, 403, 429):
        return AccountRefused(f"HTTP {status_code} from Vonage")
    return PermanentSmsError(f"HTTP {status_code} from Vonage", number_problem=False)


def accepted_message_id(answer: Mapping) -> str:
    """Read Vonage's SMS API answer: the first message's id when its status is 0, else the refusal."""
    messages = answer.get("messages") or []
    if not messages:
        raise TransientSmsError("Vonage answered without a message status", maybe_sent=True)
    first = messages[0]
    status = str(first.get("status", ""))
    if status != "0":
        raise refused(status, str(first.get("error-text", "")))
    return str(first.get("message-id") or "")


class VonageBackend:
    """Vonage's SMS API through the SDK; every resend decision is left to our job, never to the SDK."""

    def __init__(self, config: Mapping[str, Any]):
        self.sender = str(config["VONAGE_FROM"])
        options = HttpClientOptions(
            rest_host=config["VONAGE_REST_HOST"],
            api_host=config["VONAGE_API_HOST"],
            timeout=int(config["VONAGE_TIMEOUT_SECONDS"]),
            # The SDK resends a POST after "RemoteDisconnected" up to pool_maxsize times and lets urllib3
            # retry; either could deliver one text twice, so both are off and our job retries instead.
            pool_maxsize=1,
            max_retries=0,
        )
        self.client = Vonage(Auth(api_key=config["VONAGE_API_KEY"], api_secret=config["VONAGE_API_SECRET"]), options)

    def send(self, text: OutgoingText) -> str:
        message = SmsMessage(to=vonage_number(text.to), from_=self.sender, text=text.text, client_ref=text.client_ref,
                             type=vonage_type(text.text))
        try:
            response = self.client.sms.send(message)
        except SmsError as error:
            # The SDK folds the status into its message: "... failed with error code 7: Number barred".
            status, _, error_text = str(error).partition("error code ")[2].partition(": ")
            raise refused(status or "unknown", error_text or str(error)) from None
        except HttpRequestError as error:
            raise http_error(error.response.status_code) from None
        except requests.RequestException as error:
            raise network_error(error) from None
        return response.messages[0].message_id or ""


class OutboxBackend:
    """The demo and test backend: posts Vonage's request shape to SMS_OUTBOX_URL, or only records."""

    def __init__(self, config: Mapping[str, Any]):
        self.url = config.get("SMS_OUTBOX_URL")
        self.sender = str(config.get("VONAGE_FROM") or "BatteryText")
        self.api_key = config.get("VONAGE_API_KEY")
        self.api_secret = config.get("VONAGE_API_SECRET")
        self.timeout = int(config.get("VONAGE_TIMEOUT_SECONDS") or 10)

    def send(self, text: OutgoingText) -> str:
        if not self.url:
            # Nothing leaves the machine: the outbox row itself is the record of the text.
            return "outbox-" + secrets.token_hex(8)
        fields = {"to": vonage_number(text.to), "from": self.sender, "text": text.text, "client-ref": text.client_ref}
        if message_type := vonage_type(text.text):
            fields["type"] = message_type
        if self.api_key:
            fields.update({"api_key": self.api_key, "api_secret": self.api_secret or ""})
        try:
            answer = requests.post(str(self.url), data=fields, timeout=self.timeout)
        except requests.RequestException as error:
            raise network_error(error) from None
        if answer.status_code >= 400:
            raise http_error(answer.status_code)
        try:
            return accepted_message_id(answer.json())
        except ValueError:
            raise TransientSmsError("the outbox answered something other than JSON", maybe_sent=True) from None


def backend_for(config: Mapping[str, Any]) -> SmsBackend:
    """The backend SMS_BACKEND names: real Vonage in production, the outbox in the demo and tests."""
    if config["SMS_BACKEND"] == "vonage":
        return VonageBackend(config)
    return OutboxBackend(config)


def signature_is_valid(params: Mapping[str, object], signature_secret: str) -> bool:
    """Vonage signs webhooks: sig = HMAC-SHA256 over the sorted parameters (with timestamp), keyed by the secret."""
    if not params.get("sig"):
        return False
    checker = SignatureAuth(
        api_key=SIGNATURE_PLACEHOLDER_KEY, signature_secret=signature_secret, signature_method="sha256"
    )
    signed = {name: value for name, value in params.items()}
    signed["sig"] = str(signed["sig"])
    try:
        return checker.check_signature(signed)
    except ValueError:
        return False
