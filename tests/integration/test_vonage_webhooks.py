"""Vonage's webhooks: replies (STOP, START, BATTERY, anything else) and delivery receipts, signed or refused; five
answers an hour per number at most, never taken from the daily cap's room; unreadable bodies refused.

A reply typed on the emulated phone, end to end, is in tests/end_to_end/test_vonage_webhooks.py.
"""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from app.domain.outbox import client_reference, texts_sent_today
from app.extensions import db, queues
from app.models import MessageStatus, OutgoingMessage, User, utcnow
from app.tasks.delivery import deliver_text, queue_text
from app.texts.wording import ALREADY_IN, HELP, OPTED_IN, OPTED_OUT
from tests.support.factories import make_device, make_user, run_text_jobs, texts_queue
from tests.support.vonage import vonage_signed

LOW = "Battery low: your Charge 6 is at 15%. Charge it soon so it keeps tracking."
SECRET = "vonage-signature-secret"
MSISDN = "447700900123"


pytestmark = pytest.mark.usefixtures("texts_only_recorded")


def inbound(text: str, message_id: str = "INBOUND1", msisdn: str = MSISDN) -> dict[str, str]:
    return {"msisdn": msisdn, "to": "BatteryText", "messageId": message_id, "text": text, "type": "text",
            "keyword": text.split()[0].upper() if text.split() else "", "message-timestamp": "2026-06-22 08:00:00"}


def reply_from_phone(client, text: str, message_id: str = "INBOUND1", how: str = "json"):
    fields = inbound(text, message_id)
    if how == "json":
        return client.post("/webhooks/vonage/inbound", json=fields)
    return client.post("/webhooks/vonage/inbound", data=fields)


def texts(**where) -> list[OutgoingMessage]:
    query = select(OutgoingMessage).order_by(OutgoingMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutgoingMessage, name) == value)
    db.session.expire_all()
    return list(db.session.scalars(query))


def current(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


@pytest.mark.parametrize("how", ["json", "form"])
@pytest.mark.parametrize("word", ["STOP", "stop", " Stop. ", "STOPALL", "Unsubscribe", "cancel", "END", "quit!"])
def test_stop_opts_out_at_once_before_the_job_runs(client, word, how):
    user = make_user()

    answer = reply_from_phone(client, word, how=how)

    assert answer.status_code == 200
    assert current(user.id).opted_out_at is not None
    assert texts_queue().count == 1


def test_after_stop_a_low_battery_text_sends_nothing_and_stop_is_confirmed_once(client):
    user = make_user()
    reply_from_phone(client, "STOP", "IN-1")
    reply_from_phone(client, "stop", "IN-2")
    run_text_jobs()

    low = queue_text(current(user.id), "low", "low:after-stop", LOW)
    run_text_jobs()

    assert texts(kind="opt_out")[0].body == OPTED_OUT
    assert [(text.kind, text.status) for text in texts()] == [
        ("opt_out", MessageStatus.SUBMITTED),
        ("low", MessageStatus.SKIPPED),
    ]
    assert texts(id=low.id)[0].provider_message_id is None


def test_start_turns_texts_back_on(client):
    user = make_user(opted_out_at=utcnow())

    assert reply_from_phone(client, "Start", "IN-START").status_code == 200
    run_text_jobs()
    low = queue_text(current(user.id), "low", "low:after-start", LOW)
    deliver_text(low.id)

    assert current(user.id).opted_out_at is None
    assert texts(kind="reply")[0].body == OPTED_IN
    assert texts(id=low.id)[0].status == MessageStatus.SUBMITTED


def test_start_from_someone_already_getting_texts_says_so(client):
    make_user()
    reply_from_phone(client, "YES")
    run_text_jobs()
    assert texts(kind="reply")[0].body == ALREADY_IN


def test_a_replayed_start_does_not_undo_a_later_stop(client):
    user = make_user()
    reply_from_phone(client, "START", "IN-A")
    reply_from_phone(client, "STOP", "IN-B")
    reply_from_phone(client, "START", "IN-A")  # the same inbound message again
    run_text_jobs()

    assert current(user.id).opted_out_at is not None


def test_battery_replies_with_current_levels(client):
    user = make_user()
    make_device(user, "Charge 6", battery_level=42)
    make_device(user, "Inspire 3", battery_level=None, battery_status="Medium")

    reply_from_phone(client, "battery")
    run_text_jobs()

    (reply,) = texts(kind="reply")
    assert reply.body == "Battery now: Charge 6 42%, Inspire 3 medium."
    assert reply.status == MessageStatus.SUBMITTED


def test_batt_is_battery_too_and_a_repeated_webhook_answers_once(client):
    make_user()
    reply_from_phone(client, "BATT", "IN-SAME")
    reply_from_phone(client, "BATT", "IN-SAME")
    run_text_jobs()

    assert len(texts(kind="reply")) == 1


@pytest.mark.parametrize("text", ["hello?", "What is this", ""])
def test_anything_else_gets_one_line_of_help(client, text):
    make_user()
    reply_from_phone(client, text)
    run_text_jobs()

    (reply,) = texts(kind="reply")
    assert reply.body == HELP
    assert "\n" not in HELP and len(HELP) <= 160


def test_a_reply_from_an_unknown_number_changes_nothing(client):
    user = make_user()
    answer = client.post("/webhooks/vonage/inbound", json=inbound("STOP", msisdn="15550009999"))
    run_text_jobs()

    assert answer.status_code == 200
    assert current(user.id).opted_out_at is None
    assert texts() == []


def test_an_inbound_request_without_sender_is_refused(client):
    assert client.post("/webhooks/vonage/inbound", json={"text": "STOP"}).status_code == 400
    assert texts_queue().count == 0


def sent_text(user: User, provider_message_id: str = "0A00000012345678") -> OutgoingMessage:
    message = queue_text(user, "low", "low:receipt", LOW)
    texts_queue().empty()
    deliver_text(message.id)
    message = texts(id=message.id)[0]
    message.provider_message_id = provider_message_id
    db.session.commit()
    return message


def receipt(message: OutgoingMessage, status: str, err_code: str = "0", **extra) -> dict[str, str]:
    return {"msisdn": message.to.lstrip("+"), "to": "BatteryText", "network-code": "23410",
            "messageId": message.provider_message_id, "price": "0.0333", "status": status, "scts": "2606220800",
            "err-code": err_code, "client-ref": client_reference(message),
            "message-timestamp": "2026-06-22 08:00:05", **extra}


@pytest.mark.parametrize("how", ["json", "form"])
def test_a_delivery_receipt_moves_the_row_to_delivered(client, how):
    message = sent_text(make_user())
    fields = receipt(message, "delivered")

    if how == "json":
        answer = client.post("/webhooks/vonage/status", json=fields)
    else:
        answer = client.post("/webhooks/vonage/status", data=fields)
    run_text_jobs()

    assert answer.status_code == 200
    (row,) = texts(id=message.id)
    assert row.status == MessageStatus.DELIVERED
    assert row.delivered_at is not None


def test_a_failed_receipt_fails_the_row_and_flags_the_phone(client):
    user = make_user()
    message = sent_text(user)

    client.post("/webhooks/vonage/status", json=receipt(message, "failed", err_code="4"))
    run_text_jobs()

    (row,) = texts(id=message.id)
    assert row.status == MessageStatus.FAILED
    assert row.error == "receipt: failed (err-code 4)"
    assert current(user.id).phone_failed_at is not None


def test_a_late_receipt_does_not_undo_a_final_one(client):
    message = sent_text(make_user())
    client.post("/webhooks/vonage/status", json=receipt(message, "delivered"))
    client.post("/webhooks/vonage/status", json=receipt(message, "buffered"))
    run_text_jobs()

    assert texts(id=message.id)[0].status == MessageStatus.DELIVERED


def test_signed_requests_are_accepted_when_a_secret_is_set(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "VONAGE_SIGNATURE_SECRET", SECRET)
    user = make_user()

    answer = client.post("/webhooks/vonage/inbound", json=vonage_signed(inbound("STOP"), SECRET))

    assert answer.status_code == 200
    assert current(user.id).opted_out_at is not None


@pytest.mark.parametrize("how", ["json", "form"])
@pytest.mark.parametrize("forgery", ["unsigned", "wrong secret", "altered text"])
def test_a_badly_signed_inbound_request_is_refused_and_changes_nothing(app, client, monkeypatch, forgery, how):
    monkeypatch.setitem(app.config, "VONAGE_SIGNATURE_SECRET", SECRET)
    user = make_user()
    fields = {
        "unsigned": inbound("STOP"),
        "wrong secret": vonage_signed(inbound("STOP"), "not-the-secret"),
        "altered text": {**vonage_signed(inbound("BATTERY"), SECRET), "text": "STOP"},
    }[forgery]

    if how == "json":
        answer = client.post("/webhooks/vonage/inbound", json=fields)
    else:
        answer = client.post("/webhooks/vonage/inbound", data=fields)

    assert answer.status_code == 401
    assert current(user.id).opted_out_at is None
    assert texts_queue().count == 0
    assert texts() == []


def test_a_signed_receipt_is_accepted_when_a_secret_is_set(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "VONAGE_SIGNATURE_SECRET", SECRET)
    message = sent_text(make_user())

    answer = client.post("/webhooks/vonage/status", json=vonage_signed(receipt(message, "delivered"), SECRET))
    run_text_jobs()

    assert answer.status_code == 200
    assert texts(id=message.id)[0].status == MessageStatus.DELIVERED


@pytest.mark.parametrize("how", ["json", "form"])
@pytest.mark.parametrize("forgery", ["unsigned", "wrong secret", "altered status"])
def test_a_badly_signed_receipt_is_refused_and_changes_nothing(app, client, monkeypatch, forgery, how):
    monkeypatch.setitem(app.config, "VONAGE_SIGNATURE_SECRET", SECRET)
    user = make_user()
    message = sent_text(user)
    fields = {
        "unsigned": receipt(message, "failed"),
        "wrong secret": vonage_signed(receipt(message, "failed"), "not-the-secret"),
        "altered status": {**vonage_signed(receipt(message, "delivered"), SECRET), "status": "failed"},
    }[forgery]

    if how == "json":
        answer = client.post("/webhooks/vonage/status", json=fields)
    else:
        answer = client.post("/webhooks/vonage/status", data=fields)

    assert answer.status_code == 401
    assert texts_queue().count == 0
    assert texts(id=message.id)[0].status == MessageStatus.SUBMITTED
    assert current(user.id).phone_failed_at is None


def test_an_oversized_webhook_body_is_refused(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_BYTES", 1024)
    user = make_user()
    body = json.dumps({**inbound("STOP"), "padding": "x" * 2048})

    answer = client.post("/webhooks/vonage/inbound", data=body, content_type="application/json")

    assert answer.status_code == 413
    assert current(user.id).opted_out_at is None


@pytest.mark.parametrize("path", ["/webhooks/vonage/inbound", "/webhooks/vonage/status"])
@pytest.mark.parametrize(
    "body",
    [
        pytest.param("[" * 100_000, id="unclosed-lists"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="closed-lists"),
        pytest.param('{"text":' * 20_000 + '"STOP"' + "}" * 20_000, id="objects"),
    ],
)
def test_a_deeply_nested_json_body_is_refused_as_unreadable_and_queues_nothing(client, path, body):
    user = make_user()

    answer = client.post(path, data=body, content_type="application/json")

    assert answer.status_code == 400
    assert texts_queue().count == 0
    assert current(user.id).opted_out_at is None
    assert client.post("/webhooks/vonage/inbound", json=inbound("BATTERY")).status_code == 200


def test_the_webhooks_need_no_csrf_token(app, client):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    make_user()
    assert client.post("/webhooks/vonage/inbound", data=inbound("BATTERY")).status_code == 200


ANSWERS_AN_HOUR = 5


def test_answers_to_replies_stop_after_five_an_hour_for_a_number(client):
    make_user()
    for number, word in enumerate(["BATTERY", "hello", "START", "BATT", "?", "BATTERY", "help", "YES"], 1):
        assert reply_from_phone(client, word, f"IN-{number}").status_code == 200
    run_text_jobs()

    answers = texts(kind="reply")
    assert len(answers) == ANSWERS_AN_HOUR
    assert [answer.idempotency_key.split(":")[1] for answer in answers] == ["IN-1", "IN-2", "IN-3", "IN-4", "IN-5"]


def test_a_start_past_the_hourly_answers_still_opts_back_in_though_unanswered(client):
    user = make_user()
    for number in range(1, ANSWERS_AN_HOUR + 1):
        reply_from_phone(client, "BATTERY", f"IN-{number}")
    reply_from_phone(client, "STOP", "IN-STOP")
    run_text_jobs()
    assert current(user.id).opted_out_at is not None

    reply_from_phone(client, "START", "IN-START")
    run_text_jobs()

    assert current(user.id).opted_out_at is None
    assert OPTED_IN not in [answer.body for answer in texts(kind="reply")]
    assert len(texts(kind="reply")) == ANSWERS_AN_HOUR
    low = queue_text(current(user.id), "low", "low:after-start", LOW)
    run_text_jobs()
    assert texts(id=low.id)[0].status == MessageStatus.SUBMITTED


def test_stop_still_opts_out_and_is_confirmed_once_the_hourly_answers_are_used_up(client):
    user = make_user()
    for number in range(1, ANSWERS_AN_HOUR + 2):
        reply_from_phone(client, "hello", f"IN-{number}")
    run_text_jobs()

    assert reply_from_phone(client, "STOP", "IN-STOP").status_code == 200
    assert current(user.id).opted_out_at is not None
    run_text_jobs()

    (confirmation,) = texts(kind="opt_out")
    assert confirmation.body == OPTED_OUT
    assert confirmation.status == MessageStatus.SUBMITTED


def test_the_hourly_answer_limit_is_for_each_number_apart(client):
    make_user()
    other = make_user(phone="+447700900456")
    for number in range(1, ANSWERS_AN_HOUR + 2):
        reply_from_phone(client, "BATTERY", f"IN-{number}")

    client.post("/webhooks/vonage/inbound", json=inbound("BATTERY", "IN-OTHER", msisdn="447700900456"))
    run_text_jobs()

    assert len(texts(kind="reply", user_id=other.id)) == 1
    assert len(texts(kind="reply")) == ANSWERS_AN_HOUR + 1


def alerts_up_to(user: User, count: int) -> list[OutgoingMessage]:
    """`count` low-battery texts sent today."""
    alerts = [queue_text(user, "low", f"low:today:{number}", LOW) for number in range(count)]
    run_text_jobs()
    assert [texts(id=alert.id)[0].status for alert in alerts] == [MessageStatus.SUBMITTED] * count
    return alerts


def test_a_user_at_the_daily_cap_still_gets_an_answer_to_battery(app, client):
    user = make_user()
    make_device(user, "Charge 6", battery_level=12)
    cap = app.config["DAILY_TEXT_CAP"]
    alerts_up_to(user, cap)

    reply_from_phone(client, "BATTERY", "IN-AT-CAP")
    run_text_jobs()

    (reply,) = texts(kind="reply")
    assert reply.body == "Battery now: Charge 6 12%."
    assert reply.status == MessageStatus.SUBMITTED
    assert texts_sent_today(current(user.id), utcnow()) == cap


def test_an_answer_to_battery_leaves_the_days_last_alert_its_room(app, client):
    user = make_user()
    make_device(user, "Charge 6", battery_level=12)
    cap = app.config["DAILY_TEXT_CAP"]
    alerts_up_to(user, cap - 1)

    reply_from_phone(client, "BATTERY", "IN-BEFORE-LAST")
    run_text_jobs()
    last = queue_text(current(user.id), "low", "low:today:last", LOW)
    over = queue_text(current(user.id), "low", "low:today:over", LOW)
    run_text_jobs()

    assert texts(kind="reply")[0].status == MessageStatus.SUBMITTED
    assert texts(id=last.id)[0].status == MessageStatus.SUBMITTED
    assert texts(id=over.id)[0].status == MessageStatus.SKIPPED
    assert texts(id=over.id)[0].error == f"the daily cap of {cap} texts is reached"


def test_thirty_forged_gets_from_an_image_tag_text_nobody_and_stop_nothing(app, client):
    user = make_user()
    answers = [client.get("/webhooks/vonage/inbound", query_string=inbound("BATTERY", f"IMG-{n}"))
               for n in range(30)]
    answers.append(client.get("/webhooks/vonage/inbound", query_string=inbound("STOP", "IMG-STOP")))
    answers.append(client.get("/webhooks/vonage/status", query_string={"messageId": "X", "status": "delivered"}))
    assert {answer.status_code for answer in answers} == {405}
    assert texts_queue().count == 0 and texts() == []
    assert current(user.id).opted_out_at is None


def test_a_replayed_stop_after_start_does_not_stop_the_texts_again(app, client):
    user = make_user()
    reply_from_phone(client, "STOP", "MSG-STOP")
    reply_from_phone(client, "START", "MSG-START")
    run_text_jobs()
    assert current(user.id).opted_out_at is None
    replayed = reply_from_phone(client, "STOP", "MSG-STOP")
    run_text_jobs()
    assert replayed.status_code == 200
    assert current(user.id).opted_out_at is None
    assert [text.kind for text in texts()] == ["opt_out", "reply"]


# The window's exact edges (300 s taken, 301 s refused, either way) are held with a fixed clock in
# tests/unit/test_vonage_signature_window.py; here the real clock stands far from them, so a slow request cannot
# carry a timestamp across an edge (signed 301 s ahead, one second later it was 300 s ahead and taken).
@pytest.mark.parametrize("age_seconds", [-3600, 3600])
def test_a_signed_request_from_too_long_ago_or_ahead_is_refused_and_changes_nothing(app, client, monkeypatch,
                                                                                   age_seconds):
    monkeypatch.setitem(app.config, "VONAGE_SIGNATURE_SECRET", SECRET)
    user = make_user()
    signed = vonage_signed(inbound("STOP", "OLD-STOP"), SECRET, timestamp=int(time.time()) - age_seconds)
    answer = client.post("/webhooks/vonage/inbound", json=signed)
    assert answer.status_code == 401
    assert current(user.id).opted_out_at is None and texts_queue().count == 0


def test_a_signed_request_from_just_now_is_taken(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "VONAGE_SIGNATURE_SECRET", SECRET)
    user = make_user()
    signed = vonage_signed(inbound("STOP", "NEW-STOP"), SECRET, timestamp=int(time.time()))
    assert client.post("/webhooks/vonage/inbound", json=signed).status_code == 200
    assert current(user.id).opted_out_at is not None


@pytest.mark.parametrize("reference", ["{key}", "{id}", "{id}.0123456789abcdef0123456789abcdef", "{id}.", ""])
def test_a_forged_receipt_naming_a_guessable_reference_changes_nothing(app, client, reference):
    user = make_user()
    message = sent_text(user)
    forged = {**receipt(message, "failed"), "messageId": "FORGED-ID", "client-ref": reference.format(id=message.id, key=message.idempotency_key)}
    assert client.post("/webhooks/vonage/status", json=forged).status_code in (200, 400)
    run_text_jobs()
    assert texts(id=message.id)[0].status == MessageStatus.SUBMITTED
    assert current(user.id).phone_failed_at is None


def test_a_receipt_with_our_reference_settles_a_send_whose_answer_was_lost(app, client):
    message = sent_text(make_user())
    lost = {**receipt(message, "delivered"), "messageId": "UNKNOWN-TO-US"}
    client.post("/webhooks/vonage/status", json=lost)
    run_text_jobs()
    assert texts(id=message.id)[0].status == MessageStatus.DELIVERED


def test_the_answer_limit_keeps_no_phone_number_in_redis(app, client):
    make_user()
    reply_from_phone(client, "BATTERY", "KEYS-1")
    run_text_jobs()
    keys = [key.decode() for key in queues.redis.scan_iter()]
    assert any("reply-answers" in key for key in keys)
    assert not [key for key in keys if MSISDN[-10:] in key]
