"""The Vonage SMS stand-in and the phone: accepted and refused texts, delivery receipts, signed replies."""
import json

import requests
from vonage_http_client import Auth

from sandbox.server import LiveEmulator
from tests.support.polling import wait_until

NUMBER = "447700900123"


def send(emulator, to="+" + NUMBER, **fields):
    form = {"api_key": "k", "api_secret": "s", "from": "BATTERY", "to": to, "text": "Charge 6 battery is low (15%)", **fields}
    return requests.post(f"{emulator.url}/vonage/sms/json", data=form, timeout=10)


def test_an_accepted_text_is_answered_like_vonage_and_lands_on_the_phone(emulator, control):
    answer = send(emulator, **{"client-ref": "outbox-7"}).json()
    (message,) = answer["messages"]
    assert answer["message-count"] == "1"
    assert message["status"] == "0" and message["to"] == NUMBER and message["client-ref"] == "outbox-7"
    assert {"message-id", "remaining-balance", "message-price", "network"} <= set(message)
    (received,) = control("get", "/phone/messages", params={"to": "+" + NUMBER}).json()["messages"]
    assert received["text"] == "Charge 6 battery is low (15%)"
    assert (received["from"], received["client_ref"], received["message_id"]) == ("BATTERY", "outbox-7", message["message-id"])
    page = requests.get(f"{emulator.url}/phone/+{NUMBER}", timeout=10)
    assert page.status_code == 200 and "battery is low" in page.text


def test_a_delivery_receipt_follows_each_accepted_text(emulator, subscriber):
    message_id = send(emulator, **{"client-ref": "outbox-8"}).json()["messages"][0]["message-id"]
    (receipt,) = wait_until(lambda: subscriber.arrivals("/webhooks/vonage/status"), seconds=5, what="the delivery receipt")
    fields = json.loads(receipt["body"])
    assert (fields["messageId"], fields["msisdn"], fields["to"]) == (message_id, NUMBER, "BATTERY")
    assert (fields["status"], fields["err-code"], fields["client-ref"]) == ("delivered", "0", "outbox-8")
    assert fields["message-timestamp"]


def test_a_failing_number_is_accepted_but_its_receipt_says_failed(emulator, control, subscriber):
    control("post", "/phone/failing", json={"number": "+" + NUMBER, "mode": "failing"})
    assert send(emulator).json()["messages"][0]["status"] == "0"
    (receipt,) = wait_until(lambda: subscriber.arrivals("/webhooks/vonage/status"), seconds=5, what="the failed receipt")
    assert json.loads(receipt["body"])["status"] == "failed"


def test_an_invalid_number_is_refused_with_a_non_zero_status(emulator, control):
    control("post", "/phone/failing", json={"number": NUMBER, "mode": "invalid"})
    (refused,) = send(emulator).json()["messages"]
    assert refused["status"] == "6" and refused["error-text"]
    (malformed,) = send(emulator, to="not-a-number").json()["messages"]
    assert malformed["status"] == "3"
    assert control("get", "/phone/messages").json()["count"] == 0


def test_wrong_credentials_are_refused_when_an_api_key_is_configured(subscriber):
    with LiveEmulator({"APP_URL": subscriber.url, "VONAGE_API_KEY": "key", "VONAGE_API_SECRET": "secret"}) as emulator:
        wrong = send(emulator, api_key="key", api_secret="nope").json()["messages"][0]
        right = send(emulator, api_key="key", api_secret="secret").json()["messages"][0]
        basic = requests.post(
            f"{emulator.url}/vonage/sms/json", data={"from": "B", "to": NUMBER, "text": "hi"}, auth=("key", "secret"), timeout=10
        ).json()["messages"][0]
    assert (wrong["status"], wrong["error-text"]) == ("4", "Bad Credentials")
    assert right["status"] == basic["status"] == "0"


def test_a_reply_from_the_phone_reaches_the_app_as_a_signed_inbound_sms(subscriber):
    config = {"APP_URL": subscriber.url, "VONAGE_API_KEY": "key", "VONAGE_SIGNATURE_SECRET": "sig-secret"}
    with LiveEmulator(config) as emulator:
        send(emulator, api_key="key")
        outcome = requests.post(
            f"{emulator.url}/_control/phone/reply", json={"from": "+" + NUMBER, "text": "stop please"}, timeout=10
        ).json()
    assert outcome["status"] == 204
    (inbound,) = subscriber.arrivals("/webhooks/vonage/inbound")
    fields = json.loads(inbound["body"])
    assert (fields["msisdn"], fields["to"], fields["type"], fields["keyword"]) == (NUMBER, "BATTERY", "text", "STOP")
    assert fields["text"] == "stop please" and fields["messageId"] and fields["message-timestamp"]
    checker = Auth(api_key="key", signature_secret="sig-secret", signature_method="sha256")
    assert checker.check_signature(dict(fields))
    assert not checker.check_signature({**fields, "text": "START"})


def test_the_phone_page_reply_buttons_post_to_the_app(emulator, subscriber):
    send(emulator)
    response = requests.post(f"{emulator.url}/phone/+{NUMBER}/reply", data={"quick": "BATTERY"}, timeout=10)
    assert response.status_code == 200 and "HTTP 204" in response.text
    (inbound,) = subscriber.arrivals("/webhooks/vonage/inbound")
    assert json.loads(inbound["body"])["text"] == "BATTERY"
    assert "sig" not in json.loads(inbound["body"])


def test_a_text_sent_as_type_text_shows_a_question_mark_for_what_gsm7_lacks_and_unicode_keeps_it(emulator, control):
    assert send(emulator, text="Batería 80% {ok} €").json()["messages"][0]["status"] == "0"
    assert send(emulator, text="Batería 80%", type="unicode").json()["messages"][0]["status"] == "0"
    assert send(emulator, text="x", type="wap").json()["messages"][0]["status"] == "3"

    plain, unicode = control("get", "/phone/messages", params={"to": "+" + NUMBER}).json()["messages"]
    assert (plain["text"], plain["type"]) == ("Bater?a 80% {ok} €", "text")
    assert (unicode["text"], unicode["type"]) == ("Batería 80%", "unicode")
