"""Texts in the language of the number's owner: the local reply words through the inbound webhook, the answers
and alerts in German, French and Spanish, and a UCS-2 text sent to Vonage as type=unicode."""

from __future__ import annotations

import pytest
import responses
from sqlalchemy import select

from app.domain import alerting
from app.extensions import db
from app.models import OutgoingMessage, User, utcnow
from app.models.recipients import Recipient
from app.rules import alerts
from app.tasks.delivery import queue_alerts
from tests.support.factories import make_device, make_user, run_text_jobs
from tests.support.vonage import VONAGE_SETTINGS, VONAGE_SMS_URL, accepted, sent_fields

ACCOUNT = "+447700900123"
EXTRA = "+447700900456"


def reply_from(client, phone: str, text: str, message_id: str) -> None:
    fields = {"msisdn": phone.lstrip("+"), "to": "BatteryText", "messageId": message_id, "text": text,
              "type": "unicode", "keyword": text.upper(), "message-timestamp": "2026-06-22 08:00:00"}
    assert client.post("/webhooks/vonage/inbound", json=fields).status_code == 200


def texts_to(phone: str, kind: str | None = None) -> list[str]:
    db.session.expire_all()
    query = select(OutgoingMessage.body).where(OutgoingMessage.to == phone).order_by(OutgoingMessage.id)
    return list(db.session.scalars(query if kind is None else query.where(OutgoingMessage.kind == kind)))


def extra_number(user: User, language: str, known_as: str = "Sam") -> Recipient:
    recipient = Recipient(user_id=user.id, phone=EXTRA, known_as=known_as, language=language,
                          phone_verified_at=utcnow())
    db.session.add(recipient)
    db.session.commit()
    return recipient


def fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


@pytest.mark.usefixtures("texts_only_recorded")
class TestLocalReplyWords:
    def test_stopp_from_a_german_number_stops_its_texts_and_is_confirmed_in_german(self, client):
        user = make_user(phone=ACCOUNT, language="de")

        reply_from(client, ACCOUNT, "Stopp", "IN-DE-1")
        run_text_jobs()

        assert fresh(User, user.id).opted_out_at is not None
        assert texts_to(ACCOUNT, "opt_out") == [
            "Battery Text: Du bekommst keine SMS mehr. Antworte START, um sie wieder einzuschalten."]

    def test_arret_with_or_without_its_accent_stops_a_french_number(self, client):
        user = make_user(phone=ACCOUNT, language="fr")

        reply_from(client, ACCOUNT, "ARRÊT", "IN-FR-1")
        run_text_jobs()

        assert fresh(User, user.id).opted_out_at is not None
        assert texts_to(ACCOUNT, "opt_out") == [
            "Battery Text : vous ne recevrez plus de SMS. Répondez START pour les réactiver."]

    def test_baja_from_a_spanish_extra_number_stops_that_number_alone_in_spanish(self, client):
        user = make_user(phone=ACCOUNT, language="en")
        recipient = extra_number(user, "es")

        reply_from(client, EXTRA, "baja", "IN-ES-1")
        run_text_jobs()

        assert fresh(Recipient, recipient.id).opted_out_at is not None
        assert fresh(User, user.id).opted_out_at is None
        assert texts_to(EXTRA, "opt_out") == [
            "Battery Text: ya no recibiras mas SMS. Responde ALTA para volver a activarlos."]
        reply_from(client, EXTRA, "ALTA", "IN-ES-2")
        run_text_jobs()
        assert fresh(Recipient, recipient.id).opted_out_at is None
        assert texts_to(EXTRA, "reply")[-1].startswith("Battery Text: los SMS vuelven a estar activos.")

    def test_akku_gets_the_levels_in_german(self, client):
        user = make_user(phone=ACCOUNT, language="de")
        make_device(user, "Charge 6", battery_level=42)
        make_device(user, "Inspire 3", battery_level=None, battery_status="Medium")

        reply_from(client, ACCOUNT, "AKKU", "IN-DE-2")
        run_text_jobs()

        assert texts_to(ACCOUNT, "reply") == ["Akku jetzt: Charge 6 42%, Inspire 3 mittel."]

    def test_english_words_work_from_every_number_and_are_answered_in_its_language(self, client):
        user = make_user(phone=ACCOUNT, language="es")
        make_device(user, "Charge 6", battery_level=80)

        reply_from(client, ACCOUNT, "battery", "IN-ES-3")
        reply_from(client, ACCOUNT, "what?", "IN-ES-4")
        run_text_jobs()

        assert texts_to(ACCOUNT, "reply") == [
            "Batería ahora: Charge 6 80%.",
            "Battery Text: responde BATERIA para ver niveles, BAJA para dejar los SMS, ALTA para reanudarlos."]


def test_an_alert_goes_to_a_german_account_and_a_spanish_extra_number_each_in_its_language(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_OUTBOX_URL", None)
    user = make_user(phone=ACCOUNT, language="de")
    device = make_device(user, "Charge 6", battery_level=15)
    extra_number(user, "es", known_as="Jonás")

    decision = alerting.decide_for(user, [device], utcnow(), alerts.decide)
    queue_alerts(user, decision)

    assert texts_to(ACCOUNT, "low") == [
        "Akku schwach: dein Charge 6 ist bei 15 %. Lade ihn bald auf, damit er weiter aufzeichnet."]
    assert texts_to(EXTRA, "low") == [
        "Bateria baja: el Charge 6 de Jonas esta al 15 %. Cargalo pronto para que siga midiendo."]


def test_a_text_that_needs_ucs2_goes_to_vonage_as_type_unicode_and_a_gsm7_one_as_plain_text(app, monkeypatch, client):
    for name, value in VONAGE_SETTINGS.items():
        monkeypatch.setitem(app.config, name, value)
    monkeypatch.setitem(app.config, "VONAGE_SIGNATURE_SECRET", None)
    spanish = make_user(phone=ACCOUNT, language="es")
    make_device(spanish, "Charge 6", battery_level=80)
    german = make_user(phone=EXTRA, language="de")
    make_device(german, "Charge 6", battery_level=80)
    reply_from(client, ACCOUNT, "BATERÍA", "IN-U-1")
    reply_from(client, EXTRA, "AKKU", "IN-U-2")

    with responses.RequestsMock() as vonage:
        vonage.post(VONAGE_SMS_URL, json=accepted())
        vonage.post(VONAGE_SMS_URL, json=accepted())
        run_text_jobs()
        sent = {fields["to"]: fields for fields in map(sent_fields, vonage.calls)}

    assert sent[ACCOUNT.lstrip("+")]["text"] == "Batería ahora: Charge 6 80%."
    assert sent[ACCOUNT.lstrip("+")]["type"] == "unicode"
    assert sent[EXTRA.lstrip("+")]["text"] == "Akku jetzt: Charge 6 80%."
    assert "type" not in sent[EXTRA.lstrip("+")]
