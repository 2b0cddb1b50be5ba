"""Every text in every language: its words, whose tracker it names, its times, and that it fits one segment by the
encoding it would really use, with the longest device name and the longest name an extra number knows."""

from datetime import UTC, datetime, timedelta

import pytest

from app.rules.alerts import AlertSettings, DeviceReading, decide, decide_silence
from app.rules.reminders import Candidate, decide_reminder
from app.texts import alert_texts, wording
from app.texts.alert_texts import ALERT_TEMPLATES, LONGEST_KNOWN_AS, REMINDER_MANY, REMINDER_ONE, alert_text, render
from app.texts.languages import LANGUAGES
from app.texts.names import MAX_PRODUCT_NAME
from app.texts.segments import as_sent, encoding, is_single_segment, segment_count
from app.texts.wording import Reply, reply_answered, reply_keyword

LONGEST_NAME = "W" * MAX_PRODUCT_NAME
NOW = datetime(2026, 6, 22, 12, 0, tzinfo=UTC)
ACTIVE = AlertSettings(phone_verified=True, connected=True, threshold_percent=50)
# The widest values each placeholder takes: a three-digit level, 35 hours left ("about 35 hours left" is the
# longest time), 47 hours without a sync (the longest silence before it is counted in days).
WIDEST = {"name": LONGEST_NAME, "level": 100, "hours_left": 35, "quiet_hours": 47}
OWNERS = [pytest.param(None, id="own number"), pytest.param(LONGEST_KNOWN_AS, id="extra number")]


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", [*ALERT_TEMPLATES, REMINDER_ONE])
def test_every_alert_with_the_longest_names_fits_one_segment(template, language, owner):
    text = render(template, WIDEST, owner, language)
    assert is_single_segment(text), (encoding(text), text)
    assert LONGEST_NAME in text


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("count", [2, 8])
def test_the_reminder_by_count_fits_one_segment(count, language, owner):
    assert is_single_segment(render(REMINDER_MANY, {"count": count}, owner, language))


def readings(count: int, name: str = "W" * wording.MAX_NAME) -> list[DeviceReading]:
    return [DeviceReading(str(n), "TRACKER", name, "Low", 100) for n in range(count)]


FIXED_REPLIES = [
    lambda language: wording.verification_text("123456", language),
    lambda language: wording.recipient_code_text(LONGEST_KNOWN_AS, "123456", language),
    lambda language: wording.recipient_welcome_text(LONGEST_KNOWN_AS, language),
    lambda language: wording.connection_text(wording.RECONNECT, None, language),
    lambda language: wording.connection_text(wording.RETIRED, None, language),
    lambda language: wording.welcome_text([], language),
    lambda language: wording.welcome_text(readings(1), language),
    lambda language: wording.battery_text([], language),
    lambda language: wording.first_reading_text(readings(1), language),
    *[lambda language, template=template: wording.say(template, language) for template in wording.FIXED_TEXTS],
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("text_of", FIXED_REPLIES)
def test_every_reply_and_code_text_fits_one_segment(text_of, language):
    text = text_of(language)
    assert is_single_segment(text), (encoding(text), text)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("count", "most"), [(3, 1), (8, 3)])
def test_texts_listing_many_trackers_keep_their_limits_in_every_language(language, count, most):
    assert segment_count(wording.welcome_text(readings(count), language)) <= most
    assert segment_count(wording.battery_text(readings(count), language)) <= 3


@pytest.mark.parametrize(
    ("language", "own", "someone_elses"),
    [
        ("en", "Battery low: your Charge 6 is at 15%. Charge it soon so it keeps tracking.",
         "Battery low: Sam's Charge 6 is at 15%. Charge it soon so it keeps tracking."),
        ("de", "Akku schwach: dein Charge 6 ist bei 15 %. Lade ihn bald auf, damit er weiter aufzeichnet.",
         "Akku schwach: Sams Charge 6 ist bei 15 %. Lade ihn bald auf, damit er weiter aufzeichnet."),
        ("fr", "Batterie faible : votre Charge 6 est à 15 %. Rechargez-le bientôt pour garder le suivi.",
         "Batterie faible : le Charge 6 de Sam est à 15 %. Rechargez-le bientôt pour garder le suivi."),
        ("es", "Batería baja: tu Charge 6 está al 15 %. Cárgalo pronto para que siga midiendo.",
         "Batería baja: el Charge 6 de Sam está al 15 %. Cárgalo pronto para que siga midiendo."),
    ],
)
def test_each_language_says_whose_tracker_in_its_own_order(language, own, someone_elses):
    values = {"name": "Charge 6", "level": 15}
    # Natural spelling first: both fit one segment only in GSM-7, so French and Spanish fold what GSM-7 lacks.
    assert render(alert_texts.LOW_AT_LEVEL, values, None, language) == as_sent(own)
    assert render(alert_texts.LOW_AT_LEVEL, values, "Sam", language) == as_sent(someone_elses)


@pytest.mark.parametrize(
    ("name", "possessive"),
    [("Sam", "Sams"), ("Max", "Max'"), ("Hans", "Hans'"), ("Fritz", "Fritz'"), ("Strauß", "Strauß'"), ("Lea", "Leas")],
)
def test_german_names_take_the_genitive_s_and_an_apostrophe_only_after_s_ss_x_z(name, possessive):
    assert render(alert_texts.LOW_NO_LEVEL, {"name": "Charge 6"}, name, "de").startswith(
        f"Akku schwach: {possessive} Charge 6 hat")


def test_french_elides_de_before_a_name_that_opens_with_a_vowel():
    assert "le Charge 6 d'Anne est" in render(alert_texts.LOW_AT_LEVEL, {"name": "Charge 6", "level": 9}, "Anne", "fr")
    assert "le Charge 6 de Sam est" in render(alert_texts.LOW_AT_LEVEL, {"name": "Charge 6", "level": 9}, "Sam", "fr")


@pytest.mark.parametrize("owner", ["Сергей Иванович", "Zoë 😀", "王伟"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_name_gsm7_cannot_carry_is_written_in_latin_letters_so_the_alert_stays_one_segment(owner, language):
    reading = DeviceReading("d", "TRACKER", LONGEST_NAME, "Low", 15)
    (alert,) = decide([reading], {}, ACTIVE, NOW, 0).alerts

    body = alert_text(alert, owner, language)

    assert encoding(body) == "GSM-7" and is_single_segment(body), body
    assert any(latin in body for latin in ("Sergey Ivanovich", "Zoe", "WangWei"))


@pytest.mark.parametrize(
    ("language", "hours", "said"),
    [
        ("en", 14.4, "about 14 hours left"), ("en", 0.5, "less than an hour left"), ("en", 1, "about 1 hour left"),
        ("en", 36, "about 2 days left"), ("de", 1, "noch etwa 1 Stunde"), ("de", 14.4, "noch etwa 14 Stunden"),
        ("de", 72, "noch etwa 3 Tage"), ("fr", 14.4, "encore environ 14 heures"), ("fr", 1, "encore environ 1 heure"),
        ("es", 14.4, "aguanta aprox. 14 horas"), ("es", 72, "aguanta aprox. 3 días"), ("es", 0.2, "queda menos de una hora"),
    ],
)
def test_the_time_left_is_said_by_babel_in_the_readers_language(language, hours, said):
    assert alert_texts.time_left(hours, language) == said


@pytest.mark.parametrize(
    ("language", "quiet", "said"),
    [("en", 30, "Your Charge 6 has not synced for 30 hours."), ("en", 75, "Your Charge 6 has not synced for 3 days."),
     ("de", 75, "Dein Charge 6 hat sich 3 Tage lang nicht synchronisiert."),
     ("fr", 30, "Votre Charge 6 n'a pas synchronisé depuis 30 heures."),
     # Over 70 characters: one segment only in GSM-7, so the accents GSM-7 lacks are folded.
     ("es", 75, "Tu Charge 6 no se sincroniza desde hace 3 dias.")],
)
def test_the_silence_text_says_how_long_in_the_readers_language(language, quiet, said):
    reading = DeviceReading("d", "TRACKER", "Charge 6", "High", 80, last_sync_at=NOW - timedelta(hours=quiet, minutes=5))
    (alert,) = decide_silence([reading], {}, ACTIVE, NOW, 0).alerts
    assert alert_text(alert, None, language).startswith(said)


def test_the_reminder_names_trackers_only_when_the_names_fit_in_every_language():
    def candidate(key, name):
        return Candidate(DeviceReading(key, "TRACKER", name, None, 45), 45, NOW + timedelta(hours=2))

    evening = AlertSettings(phone_verified=True, connected=True, time_zone="UTC")
    at = NOW.time()
    two = decide_reminder([candidate("a", "Pixel Watch 3"), candidate("b", "Charge 6")], evening, at, NOW, 0)
    assert alert_text(two, "Sam", "es") == (
        "Carga esta noche: los Pixel Watch 3 y Charge 6 de Sam tendran bateria baja antes de mañana a esta hora.")
    many = decide_reminder([candidate(str(n), LONGEST_NAME) for n in range(3)], evening, at, NOW, 0)
    assert alert_text(many, None, "de") == "Heute laden: 3 deiner Tracker werden wohl vor morgen um diese Zeit schwach."


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        *[(word, Reply.STOP) for word in ("STOPP", "stopp", "ARRÊT", "arret", "Arrêt.", "BAJA", "baja", "PARAR")],
        *[(word, Reply.START) for word in ("REPRENDRE", "ALTA", "Inicio", "start")],
        *[(word, Reply.BATTERY) for word in ("AKKU", "akku!", "BATTERIE", "BATERIA", "batería", "PILA", "battery")],
        *[(word, Reply.HELP) for word in ("HILFE", "aide", "AYUDA", "¿ayuda?", "Hallo")],
    ],
)
def test_each_languages_reply_words_are_understood_whatever_their_case_and_accents(typed, meant):
    assert reply_keyword(typed) is meant


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_conversation_view_recognises_our_answers_in_every_language(language):
    assert reply_answered("reply", wording.say(wording.OPTED_IN, language)) is Reply.START
    assert reply_answered("reply", wording.say(wording.ALREADY_IN, language)) is Reply.START
    assert reply_answered("reply", wording.battery_text(readings(1, "Charge 6"), language)) is Reply.BATTERY
    assert reply_answered("reply", wording.battery_text(readings(8), language)) is Reply.BATTERY
    assert reply_answered("reply", wording.battery_text([], language)) is Reply.BATTERY
    assert reply_answered("reply", wording.say(wording.HELP, language)) is Reply.HELP
    assert reply_answered("opt_out", wording.say(wording.OPTED_OUT, language)) is Reply.STOP


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_code_is_hidden_from_its_text_in_every_language(language):
    text = wording.verification_text("402913", language)
    assert "402913" not in wording.redacted(text) and "------" in wording.redacted(text)
    assert wording.redacted(wording.verification_text("402913")) == wording.VERIFICATION_REDACTED
