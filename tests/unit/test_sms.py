"""The SMS backends at the HTTP boundary, with no app: what the Vonage SDK sends, how each of Vonage's answers is
read (taken, held for our account, tried again, refused for the number, may have been sent), and Vonage's webhook
signatures.

How each answer lands in the outbox is in tests/integration/test_sms.py.
"""

from __future__ import annotations

import pytest
import requests
import responses

from app.adapters import sms
from app.adapters.sms import (
    AccountRefused,
    OutboxBackend,
    OutgoingText,
    PermanentSmsError,
    TransientSmsError,
    VonageBackend,
    signature_is_valid,
)
from app.config import load_settings
from tests.support.vonage import VONAGE_SETTINGS, VONAGE_SMS_URL, accepted, refused, sent_fields, vonage_signed

# The settings a development machine gets with no credentials: the outbox backend, Vonage's request shape.
SETTINGS = load_settings({"APP_ENV": "test", "SECRET_KEY": "test-only-secret-key", "TOKEN_ENCRYPTION_KEY": "x",
                          "SANDBOX": "1"})
OUTBOX_URL = "http://phone.example.test/vonage/sms/json"


@pytest.fixture
def vonage():
    """Vonage's SMS API as `responses` answers it, at the host VONAGE_SETTINGS point the SDK to."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_vonage_gets_exactly_one_form_post_with_to_from_text_and_our_key_as_client_ref(vonage):
    vonage.post(VONAGE_SMS_URL, json=accepted())
    backend = VonageBackend({**SETTINGS, **VONAGE_SETTINGS})

    message_id = backend.send(OutgoingText(to="+447700900123", text="Hello from the tests", client_ref="low:1:d:1"))

    assert message_id == "0A0000000123ABCD"
    assert len(vonage.calls) == 1
    call = vonage.calls[0]
    assert call.request.method == "POST"
    assert call.request.url == VONAGE_SMS_URL
    assert sent_fields(call) == {
        "to": "447700900123", "from": "BatteryText", "text": "Hello from the tests", "client-ref": "low:1:d:1"
    }
    assert call.request.headers["Authorization"] == "Basic YWJjMTIzOnMzY3IzdA=="  # abc123:s3cr3t
    assert call.request.req_kwargs["timeout"] == 7


def test_the_outbox_backend_posts_vonages_request_shape_and_reads_its_answer():
    config = {**SETTINGS, "SMS_OUTBOX_URL": OUTBOX_URL, "VONAGE_API_KEY": None}
    with responses.RequestsMock() as mock:
        mock.post(OUTBOX_URL, json=accepted("SANDBOX0001", client_ref="welcome:1"))
        message_id = OutboxBackend(config).send(OutgoingText("+15551230000", "Hi", "welcome:1"))
        fields = sent_fields(mock.calls[0])
    assert message_id == "SANDBOX0001"
    assert fields == {"to": "15551230000", "from": "BatteryText", "text": "Hi", "client-ref": "welcome:1"}


def test_the_outbox_backend_reports_vonage_refusals_like_vonage():
    config = {**SETTINGS, "SMS_OUTBOX_URL": OUTBOX_URL}
    with responses.RequestsMock() as mock:
        mock.post(OUTBOX_URL, json=refused("6", "Unroutable message - rejected"))
        with pytest.raises(PermanentSmsError) as refusal:
            OutboxBackend(config).send(OutgoingText("+447700900123", "Hi", "k"))
    assert refusal.value.number_problem


def test_the_outbox_backend_with_no_address_only_records():
    with responses.RequestsMock():
        backend = OutboxBackend({**SETTINGS, "SMS_OUTBOX_URL": None})
        message_id = backend.send(OutgoingText("+447700900123", "Hi", "k"))
    assert message_id.startswith("outbox-")


def test_a_read_timeout_may_have_sent_and_a_refused_connection_did_not():
    config = {**SETTINGS, "SMS_OUTBOX_URL": OUTBOX_URL}
    with responses.RequestsMock() as mock:
        mock.post(OUTBOX_URL, body=requests.ReadTimeout("read timed out"))
        with pytest.raises(TransientSmsError) as timeout:
            OutboxBackend(config).send(OutgoingText("+447700900123", "Hi", "k"))
    assert timeout.value.maybe_sent
    with responses.RequestsMock() as mock:
        mock.post(OUTBOX_URL, body=requests.ConnectTimeout("connect timed out"))
        with pytest.raises(TransientSmsError) as never_connected:
            OutboxBackend(config).send(OutgoingText("+447700900123", "Hi", "k"))
    assert not never_connected.value.maybe_sent


# What each refusal says about the text: held for our account, tried again, or failed (blaming the number or not).
ACCOUNT = "held for our account"
TRY_AGAIN = "tried again"
NUMBER = "failed, the number's fault"
REQUEST = "failed, not the number's fault"


def verdict(error: Exception) -> str:
    if isinstance(error, AccountRefused):
        return ACCOUNT
    if isinstance(error, TransientSmsError):
        return TRY_AGAIN
    assert isinstance(error, PermanentSmsError)
    return NUMBER if error.number_problem else REQUEST


@pytest.mark.parametrize(
    ("status", "error_text", "expected"),
    [
        ("1", "Throttled", ACCOUNT),
        ("4", "Bad Credentials", ACCOUNT),
        ("8", "Partner account barred", ACCOUNT),
        ("9", "Partner quota violation", ACCOUNT),
        ("10", "Too many existing binds", ACCOUNT),
        ("11", "Account not enabled for HTTP", ACCOUNT),
        ("14", "Invalid Signature", ACCOUNT),
        ("15", "Invalid sender address", ACCOUNT),
        ("32", "Signature and API secret disallowed", ACCOUNT),
        ("5", "Internal Error", TRY_AGAIN),
        ("3", "Invalid to address", NUMBER),
        ("6", "Unroutable message - rejected", NUMBER),
        ("7", "Number barred", NUMBER),
        ("29", "Non-Whitelisted Destination", NUMBER),
        ("33", "Number de-activated", NUMBER),
        ("2", "Missing to param", REQUEST),
        ("12", "Message too long", REQUEST),
        ("unknown", "something new", REQUEST),
    ],
)
def test_each_vonage_status_says_whether_to_hold_retry_or_fail_the_text(status, error_text, expected):
    error = sms.refused(status, error_text)

    assert verdict(error) == expected
    assert error.reason == f"Vonage status {status}: {error_text}"
    if isinstance(error, TransientSmsError):
        assert not error.maybe_sent  # Vonage answered: it did not take the text


@pytest.mark.parametrize(
    ("http_status", "expected"),
    [
        (401, ACCOUNT), (403, ACCOUNT), (429, ACCOUNT),
        (500, TRY_AGAIN), (502, TRY_AGAIN), (503, TRY_AGAIN), (504, TRY_AGAIN),
        (400, REQUEST), (404, REQUEST), (413, REQUEST),
    ],
)
def test_each_http_error_from_vonage_says_whether_to_hold_retry_or_fail_the_text(http_status, expected):
    error = sms.http_error(http_status)

    assert verdict(error) == expected
    assert error.reason == f"HTTP {http_status} from Vonage"


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"json": refused("4", "Bad Credentials")}, id="status-4"),
        pytest.param({"json": refused("9", "Partner quota violation")}, id="status-9"),
        pytest.param({"status": 401, "json": {"type": "unauthorized"}}, id="http-401"),
        pytest.param({"status": 403, "json": {"type": "forbidden"}}, id="http-403"),
        pytest.param({"status": 429, "json": {"type": "throttled"}}, id="http-429"),
    ],
)
@pytest.mark.parametrize("backend", [VonageBackend, OutboxBackend])
def test_both_backends_read_a_refusal_of_our_account_as_held_for_the_account(backend, answer):
    config = {**SETTINGS, **VONAGE_SETTINGS, "SMS_OUTBOX_URL": VONAGE_SMS_URL}
    with responses.RequestsMock() as mock:
        mock.post(VONAGE_SMS_URL, **answer)
        with pytest.raises(AccountRefused):
            backend(config).send(OutgoingText("+447700900123", "Hi", "k"))
        assert len(mock.calls) == 1  # the SDK did not try again on its own


def test_vonage_webhook_signatures_are_checked_with_hmac_sha256():
    fields = vonage_signed({"msisdn": "447700900123", "text": "STOP", "messageId": "1A"}, "sig-secret")

    assert signature_is_valid(fields, "sig-secret")
    assert not signature_is_valid(fields, "another-secret")
    assert not signature_is_valid({**fields, "text": "START"}, "sig-secret")
    assert not signature_is_valid({name: value for name, value in fields.items() if name != "sig"}, "sig-secret")
