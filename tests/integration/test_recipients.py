"""People who also get the texts: extra numbers confirmed by their owner's code, one text per episode to each,
their own STOP/START, choice of texts and daily cap, removed at once, gone with the account.

The same journey in a real browser, with screenshots, is in tests/browser/test_recipients.py.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from flask import g
from sqlalchemy import select, update

from app.domain import alerting
from app.extensions import db
from app.models import MessageStatus, OutgoingMessage, PhoneVerification, User, utcnow
from app.models.recipients import Recipient
from app.rules import alerts
from app.rules.timezones import zone_named
from app.tasks.delivery import queue_alerts, queue_text
from tests.support.factories import make_device, make_user, run_text_jobs
from tests.support.vonage import phone_stand_in

OWN = "+447700900123"
MUM = "+447400123456"
DAD = "+447400123457"


@pytest.fixture
def phones(app, monkeypatch):
    """Every text that reaches a phone is one `responses` call; receipts and replies are taken unsigned."""
    monkeypatch.setitem(app.config, "VONAGE_SIGNATURE_SECRET", None)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    with phone_stand_in(app, monkeypatch) as mock:
        yield mock


def received(phones, number: str) -> list[str]:
    """The texts that reached one number, in order."""
    bodies = []
    for call in phones.calls:
        fields = parse_qs(call.request.body)
        if fields["to"][0] == number.lstrip("+"):
            bodies.append(fields["text"][0])
    return bodies


def signed_in(app, user: User):
    client = app.test_client(user=user)
    client.user_id = user.id
    return client


def add_number(browser, national: str, known_as: str = "Sam", texts=("low", "empty", "silent")):
    return browser.post("/people/new", data={"phone": national, "region": "GB", "known_as": known_as,
                                             "texts": list(texts)})


def the_recipient(phone: str) -> Recipient:
    db.session.expire_all()
    return db.session.scalars(select(Recipient).where(Recipient.phone == phone)).one()


def texted_code(phone: str) -> str:
    message = db.session.scalars(
        select(OutgoingMessage).where(OutgoingMessage.to == phone, OutgoingMessage.kind == "verification")
        .order_by(OutgoingMessage.id.desc())
    ).first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def confirmed_number(browser, national: str, phone: str, **kwargs) -> Recipient:
    assert add_number(browser, national, **kwargs).status_code == 302
    code = texted_code(phone)
    recipient = the_recipient(phone)
    assert browser.post(f"/people/{recipient.id}/code", data={"code": code}).status_code == 302
    return the_recipient(phone)


def a_minute_passes(phone: str) -> None:
    db.session.execute(update(PhoneVerification).where(PhoneVerification.phone == phone)
                       .values(last_sent_at=utcnow() - timedelta(seconds=61)))
    db.session.commit()


def battery_read(user: User, level: int, *, states_kept: bool = True) -> None:
    """What a sync does after reading the platform: the rules, the texts, the episode states, in that order;
    `states_kept=False` is a sync that queued its texts and died before it stored the episode (the rerun then
    decides the same texts)."""
    db.session.expire_all()
    user = db.session.get(User, user.id)
    devices = list(user.devices)
    for device in devices:
        device.battery_level, device.battery_status, device.last_sync_at = level, None, utcnow()
    decision = alerting.decide_for(user, devices, utcnow(), alerts.decide)
    queue_alerts(user, decision)
    if not states_kept:
        db.session.rollback()
        return
    alerting.store_states(devices, decision)
    db.session.commit()


def reply(client, text: str, number: str, message_id: str):
    fields = {"msisdn": number.lstrip("+"), "to": "BatteryText", "messageId": message_id, "text": text,
              "type": "text", "message-timestamp": "2026-06-22 08:00:00"}
    assert client.post("/webhooks/vonage/inbound", json=fields).status_code == 200


def test_the_code_text_names_whose_trackers_and_how_to_refuse_and_nothing_else_goes_before_it_is_confirmed(
        app, phones):
    user = make_user(display_name="Sam Jones")
    make_device(user)
    browser = signed_in(app, user)

    add_number(browser, "07400 123456", known_as="Sam")
    battery_read(user, 15)
    run_text_jobs()

    (code_text,) = received(phones, MUM)
    assert code_text.startswith("Battery Text: Sam asks to text you when their tracker's battery is low.")
    assert "To refuse, ignore this." in code_text
    assert re.search(r"code \d{6}\.", code_text)
    assert received(phones, OWN) == ["Battery low: your Charge 6 is at 15%. Charge it soon so it keeps tracking."]
    assert the_recipient(MUM).state == "waiting"


def test_a_confirmed_second_number_gets_exactly_one_text_per_episode_whatever_reruns(app, phones):
    user = make_user()
    make_device(user)
    browser = signed_in(app, user)
    confirmed_number(browser, "07400 123456", MUM, known_as="Sam")
    run_text_jobs()
    phones.calls.reset()

    battery_read(user, 15, states_kept=False)
    battery_read(user, 15)
    battery_read(user, 14)  # the same episode, read again
    run_text_jobs()
    run_text_jobs()

    assert received(phones, OWN) == ["Battery low: your Charge 6 is at 15%. Charge it soon so it keeps tracking."]
    assert received(phones, MUM) == ["Battery low: Sam's Charge 6 is at 15%. Charge it soon so it keeps tracking."]
    keys = set(db.session.scalars(select(OutgoingMessage.idempotency_key).where(OutgoingMessage.kind == "low")))
    device = db.session.get(User, user.id).devices[0]
    assert keys == {f"low:{user.id}:{device.id}:1", f"low:{user.id}:{device.id}:1:to:{the_recipient(MUM).id}"}


def test_confirming_texts_the_new_number_once_to_say_what_it_will_get(app, phones):
    browser = signed_in(app, make_user())

    confirmed_number(browser, "07400 123456", MUM, known_as="Sam")
    run_text_jobs()

    assert received(phones, MUM)[-1] == (
        "Battery Text: you will get texts when Sam's tracker battery runs low. Reply STOP to end.")
    assert the_recipient(MUM).state == "active"


def test_each_number_gets_only_the_texts_chosen_for_it(app, phones):
    user = make_user()
    make_device(user)
    browser = signed_in(app, user)
    confirmed_number(browser, "07400 123456", MUM, texts=("empty",))
    run_text_jobs()
    phones.calls.reset()

    battery_read(user, 15)
    battery_read(user, 0)
    run_text_jobs()

    assert [text.split(":")[0] for text in received(phones, OWN)] == ["Battery low", "Battery empty"]
    assert [text.split(":")[0] for text in received(phones, MUM)] == ["Battery empty"]

    browser.post(f"/people/{the_recipient(MUM).id}", data={"texts": ["low", "empty"]})
    assert the_recipient(MUM).chosen_texts == {"low", "empty"}
    assert browser.post(f"/people/{the_recipient(MUM).id}", data={}).status_code == 400


def test_stop_from_the_second_number_stops_only_its_texts_and_start_turns_them_back_on(app, phones):
    user = make_user()
    make_device(user)
    browser = signed_in(app, user)
    confirmed_number(browser, "07400 123456", MUM)
    confirmed_number(browser, "07400 123457", DAD)
    run_text_jobs()
    phones.calls.reset()

    reply(browser, "STOP", MUM, "IN-1")
    battery_read(user, 15)
    run_text_jobs()

    assert received(phones, MUM) == ["Battery Text: you will get no more texts. Reply START to turn them back on."]
    assert len(received(phones, OWN)) == 1 and len(received(phones, DAD)) == 1
    assert db.session.get(User, user.id).opted_out_at is None
    assert the_recipient(MUM).state == "stopped"

    reply(browser, "START", MUM, "IN-2")
    run_text_jobs()
    battery_read(user, 80)
    battery_read(user, 10)
    run_text_jobs()

    assert received(phones, MUM)[1:] == [
        "Battery Text: texts are back on. Reply BATTERY for levels, STOP to end.",
        "Battery low: Sam's Charge 6 is at 10%. Charge it soon so it keeps tracking.",
    ]


def test_stop_from_the_account_number_leaves_the_extra_numbers_their_texts(app, phones):
    user = make_user()
    make_device(user)
    browser = signed_in(app, user)
    confirmed_number(browser, "07400 123456", MUM)
    reply(browser, "STOP", OWN, "IN-1")
    run_text_jobs()
    phones.calls.reset()

    battery_read(user, 15)
    run_text_jobs()

    assert received(phones, OWN) == []
    assert len(received(phones, MUM)) == 1


def test_removing_a_number_stops_its_texts_at_once_and_texts_nobody(app, phones):
    user = make_user()
    make_device(user)
    browser = signed_in(app, user)
    recipient = confirmed_number(browser, "07400 123456", MUM)
    run_text_jobs()
    phones.calls.reset()
    battery_read(user, 15)  # the alert to Mum is queued, not yet sent

    assert browser.post(f"/people/{recipient.id}/remove").status_code == 302
    run_text_jobs()

    assert received(phones, MUM) == []
    assert len(received(phones, OWN)) == 1
    assert db.session.scalars(select(Recipient)).all() == []
    assert db.session.scalars(select(OutgoingMessage).where(OutgoingMessage.to == MUM)).all() == []


def test_deleting_the_account_leaves_no_row_for_any_recipient_and_texts_nobody(app, phones):
    user = make_user()
    browser = signed_in(app, user)
    confirmed_number(browser, "07400 123456", MUM)
    add_number(browser, "07400 123457")
    run_text_jobs()
    phones.calls.reset()

    assert browser.post("/account/delete", data={"confirm": "delete"}).status_code == 302
    run_text_jobs()

    assert len(phones.calls) == 0
    assert db.session.scalars(select(Recipient)).all() == []
    assert db.session.scalars(select(PhoneVerification)).all() == []
    assert db.session.scalars(select(OutgoingMessage)).all() == []


def test_an_extra_number_gets_at_most_five_codes_an_hour_and_five_tries(app, phones):
    browser = signed_in(app, make_user())
    add_number(browser, "07400 123456")
    recipient = the_recipient(MUM)
    for _ in range(4):
        a_minute_passes(MUM)
        assert browser.post(f"/people/{recipient.id}/code", data={"resend": "1"}).status_code == 302
    a_minute_passes(MUM)

    refused = browser.post(f"/people/{recipient.id}/code", data={"resend": "1"})

    assert refused.status_code == 429
    assert "We have sent as many codes as we may for now." in refused.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(OutgoingMessage.id)).where(OutgoingMessage.to == MUM)) == 5
    for _ in range(5):
        assert browser.post(f"/people/{recipient.id}/code", data={"code": "000000"}).status_code == 400
    last = browser.post(f"/people/{recipient.id}/code", data={"code": texted_code(MUM)})
    assert "Too many wrong codes" in last.get_data(as_text=True)
    assert the_recipient(MUM).state == "waiting"


def test_the_per_number_limit_holds_across_accounts_and_a_resend_waits_a_minute(app, phones):
    first, second = signed_in(app, make_user()), signed_in(app, make_user(phone="+447400999888"))
    add_number(first, "07400 123456")
    too_soon = first.post(f"/people/{the_recipient(MUM).id}/code", data={"resend": "1"})
    assert too_soon.status_code == 429 and "less than a minute ago" in too_soon.get_data(as_text=True)
    for _ in range(4):
        a_minute_passes(MUM)
        first.post(f"/people/{the_recipient(MUM).id}/code", data={"resend": "1"})

    g.pop("_login_user", None)  # Flask-Login keeps the last user in the test's app context
    refused = add_number(second, "07400 123456")

    assert refused.status_code == 429
    assert db.session.scalar(select(db.func.count(Recipient.id))) == 1


def test_a_number_that_replied_stop_gets_no_more_codes_and_an_earlier_code_no_longer_confirms_it(app, phones):
    browser = signed_in(app, make_user())
    add_number(browser, "07400 123456")
    code = texted_code(MUM)  # its owner read it, then replied STOP
    reply(browser, "STOP", MUM, "IN-1")
    a_minute_passes(MUM)

    refused = browser.post(f"/people/{the_recipient(MUM).id}/code", data={"resend": "1"})
    run_text_jobs()

    assert refused.status_code == 429
    assert "replied STOP" in refused.get_data(as_text=True)
    assert len(received(phones, MUM)) == 1  # the code; a STOP from a number never confirmed gets no answer
    given_before_the_stop = browser.post(f"/people/{the_recipient(MUM).id}/code", data={"code": code})
    assert given_before_the_stop.status_code == 400
    assert the_recipient(MUM).state == "stopped"


def test_each_number_has_its_own_daily_cap(app, phones):
    user = make_user()
    browser = signed_in(app, user)
    recipient = confirmed_number(browser, "07400 123456", MUM)
    user = db.session.get(User, user.id)
    for n in range(5):
        queue_text(user, "low", f"low:own:{n}", "Battery low: your Charge 6 is at 15%.")
    for n in range(6):
        queue_text(user, "low", f"low:mum:{n}", "Battery low: Sam's Charge 6 is at 15%.", recipient=recipient)

    run_text_jobs()

    statuses = [message.status for message in db.session.scalars(
        select(OutgoingMessage).where(OutgoingMessage.recipient_id == recipient.id, OutgoingMessage.kind == "low")
        .order_by(OutgoingMessage.id))]
    assert statuses == [MessageStatus.SUBMITTED] * 5 + [MessageStatus.SKIPPED]
    assert len([text for text in received(phones, OWN) if text.startswith("Battery low")]) == 5


def test_quiet_hours_follow_the_accounts_time_zone_for_every_number(app, phones):
    user = make_user(time_zone="Asia/Tokyo")
    make_device(user)
    browser = signed_in(app, user)
    confirmed_number(browser, "07400 123456", MUM)
    now_in_tokyo = utcnow().astimezone(zone_named("Asia/Tokyo"))
    user = db.session.get(User, user.id)
    user.quiet_start = (now_in_tokyo - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    user.quiet_end = (now_in_tokyo + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    db.session.commit()

    battery_read(user, 15)

    held = db.session.scalars(select(OutgoingMessage).where(OutgoingMessage.kind == "low")).all()
    assert len(held) == 2
    assert held[0].send_after is not None and held[0].send_after == held[1].send_after


def test_the_dashboard_lists_each_number_with_its_state_and_offers_at_most_three(app, phones):
    user = make_user()
    browser = signed_in(app, user)
    confirmed_number(browser, "07400 123456", MUM)
    add_number(browser, "07400 123457")
    failing = confirmed_number(browser, "07400 123458", "+447400123458")
    db.session.execute(update(Recipient).where(Recipient.id == failing.id)
                       .values(phone_failed_at=utcnow(), phone_failure="Our text was not delivered (failed)"))
    db.session.commit()
    reply(browser, "STOP", MUM, "IN-1")

    page = browser.get("/dashboard").get_data(as_text=True)

    assert re.search(rf'data-state="stopped">\s*<span class="recipient-phone">\{MUM}', page)
    assert re.search(rf'data-state="waiting">\s*<span class="recipient-phone">\{DAD}', page)
    assert 'data-state="failing"' in page
    assert 'id="add-recipient"' not in page
    assert add_number(browser, "07400 123459").status_code == 302
    assert db.session.scalar(select(db.func.count(Recipient.id))) == 3


def test_the_account_own_number_or_one_on_the_list_is_refused(app, phones):
    browser = signed_in(app, make_user(phone="+447400123450"))
    own = add_number(browser, "07400 123450")
    add_number(browser, "07400 123456")
    again = add_number(browser, "07400 123456")

    assert own.status_code == 400 and "your own number" in own.get_data(as_text=True)
    assert again.status_code == 400 and "on your list already" in again.get_data(as_text=True)


def test_another_accounts_number_cannot_be_seen_or_removed(app, phones):
    owner = signed_in(app, make_user())
    add_number(owner, "07400 123456")
    stranger = signed_in(app, make_user(phone="+447400999888"))
    recipient = the_recipient(MUM)
    g.pop("_login_user", None)  # Flask-Login keeps the last user in the test's app context

    assert stranger.get(f"/people/{recipient.id}").status_code == 404
    assert stranger.post(f"/people/{recipient.id}/remove").status_code == 404
    assert the_recipient(MUM).id == recipient.id


def test_a_failed_receipt_flags_only_that_number(app, phones):
    user = make_user()
    browser = signed_in(app, user)
    recipient = confirmed_number(browser, "07400 123456", MUM)
    run_text_jobs()
    welcome = db.session.scalars(select(OutgoingMessage).where(OutgoingMessage.recipient_id == recipient.id,
                                                                OutgoingMessage.kind == "welcome")).one()
    welcome.provider_message_id = "MUM-1"
    db.session.commit()

    browser.post("/webhooks/vonage/status", json={"messageId": "MUM-1", "status": "failed", "err-code": "1",
                                                  "msisdn": MUM.lstrip("+")})
    run_text_jobs()

    assert the_recipient(MUM).state == "failing"
    assert db.session.get(User, user.id).phone_failed_at is None

