"""The pure words and encoding at their edges: the last character of a segment and the first past it, the characters
that cost two units, each text in its reader's language (English and German), the reply words however they are
typed, and the names a text carries.
"""

import pytest

from app.rules.alerts import DeviceReading
from app.texts.alert_texts import (
    LOW_WITH_TIME_LEFT,
    device_phrase,
    german_genitive,
    owner_name,
    render,
)
from app.texts.languages import best_language, supported
from app.texts.segments import (
    as_sent,
    encoding,
    is_single_gsm7_segment,
    is_single_segment,
    length,
    segment_count,
    to_gsm7,
)
from app.texts.wording import (
    RECONNECT,
    RETIRED,
    Reply,
    battery_text,
    connection_text,
    first_reading_text,
    recipient_code_text,
    recipient_welcome_text,
    redacted,
    reply_answered,
    reply_keyword,
    verification_text,
    welcome_text,
    welcome_unread_text,
)

CHARGE = DeviceReading("charge", "TRACKER", "Charge 6", battery_level=80)
ARIA = DeviceReading("aria", "SCALE", "Aria Air", battery_status="Low")
UNNAMED_WATCH = DeviceReading("watch", "WATCH", None)
ODD_STATUS = DeviceReading("inspire", "TRACKER", "Inspire 3", battery_status="Weird")
MIXED = [CHARGE, ARIA, UNNAMED_WATCH, ODD_STATUS]


# --- segments: the last unit that fits and the first that does not -------------------------------------------------

@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
        ("€" * 80, 1), ("€" * 81, 2), ("a" * 152 + "€" + "a" * 152, 3),
        ("ж" * 70, 1), ("ж" * 71, 2), ("ж" * 134, 2), ("ж" * 135, 3),
        ("😀" * 35, 1), ("😀" * 36, 2),
    ],
    ids=["160 GSM-7", "161 GSM-7", "2 full GSM-7 parts", "one septet more", "80 euro signs", "81 euro signs",
         "306 septets, but an escape at the part edge is never split: 3", "70 UCS-2", "71 UCS-2", "2 full UCS-2 parts",
         "one unit more", "35 emoji", "36 emoji"],
)
def test_a_text_costs_one_more_segment_one_unit_past_the_edge(text, segments):
    assert segment_count(text) == segments


@pytest.mark.parametrize(("char", "units"), [("\uffff", 1), ("\U00010000", 2), ("\ufffd", 1), ("\U0001f600", 2)],
                         ids=["the last BMP character", "the first character past the BMP", "U+FFFD", "an emoji"])
def test_only_characters_past_the_bmp_cost_two_ucs2_units(char, units):
    assert encoding(char) == "UCS-2"
    assert length(char) == units


def test_the_longest_gsm7_text_is_one_gsm7_segment_and_one_character_more_is_not():
    assert is_single_gsm7_segment("a" * 160)
    assert not is_single_gsm7_segment("a" * 161)
    assert not is_single_gsm7_segment("ж")


def test_a_text_that_would_cost_as_many_segments_in_latin_letters_keeps_its_own_script():
    beijing = "北京" * 40  # 80 UTF-16 units: 2 parts; "BeiJing" × 40 is 280 septets: 2 parts too
    assert segment_count(beijing) == segment_count(to_gsm7(beijing)) == 2
    assert as_sent(beijing) == beijing


def test_a_text_that_costs_fewer_segments_in_latin_letters_is_sent_in_them():
    greeting = "Привет " * 20  # 140 UCS-2 units (3 parts), "Privet " × 20 is 140 septets (1 segment)
    assert as_sent(greeting) == to_gsm7(greeting)
    assert is_single_segment(as_sent(greeting))


# --- languages -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("code", "spoken"),
    [("de", "de"), ("de-AT", "de"), ("DE_ch", "de"), ("de-DE-1996", "de"), ("es-419", "es"), (" fr ", "fr"),
     ("it", None), ("", None), (None, None), ("english", None)],
)
def test_the_language_we_speak_for_a_code(code, spoken):
    assert supported(code) == spoken


def test_a_browser_language_with_quality_zero_is_never_chosen():
    assert best_language(None, [("de", 0.0), ("fr", 0.1)]) == "fr"
    assert best_language(None, [("de", 0.0)]) == "en"
    assert best_language("es", [("de", 1.0)]) == "es"
    assert best_language(None, [("it", 1.0), ("de", 0.5), ("fr", 0.5)]) == "de"  # the first of equals


# --- whose tracker, in each language ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("names", "owner", "language", "phrase"),
    [
        (("Charge 6",), None, "en", "your Charge 6"),
        (("Charge 6", "Sense 2"), None, "en", "your Charge 6 and Sense 2"),
        (("Charge 6", "Sense 2", "Versa 4"), None, "en", "your Charge 6, Sense 2 and Versa 4"),
        (("Charge 6", "Sense 2"), "Sam", "de", "Sams Charge 6 und Sense 2"),
    ],
)
def test_several_trackers_are_listed_with_commas_and_a_last_and(names, owner, language, phrase):
    assert device_phrase({"names": names}, owner, language) == phrase


@pytest.mark.parametrize(("name", "possessive"), [("Sam", "Sams"), ("Max", "Max'"), ("Hans", "Hans'"),
                                                   ("Strauß", "Strauß'"), ("Fritz", "Fritz'"), ("MAX", "MAX'")])
def test_german_possessive_takes_an_apostrophe_only_after_s_sz_x_or_z(name, possessive):
    assert german_genitive(name) == possessive


def test_an_owner_known_by_a_name_gsm7_cannot_write_at_all_keeps_that_name():
    assert owner_name("Zoë", "en") == "Zoe"
    assert owner_name("Zoë", "de") == "Zoes"
    assert owner_name("😀", "en") == "😀"


def test_the_time_left_is_said_in_the_readers_language():
    text = render(LOW_WITH_TIME_LEFT, {"name": "Charge 6", "level": 15, "hours_left": 14.2}, None, "de")
    assert text == "Akku schwach: dein Charge 6 ist bei 15 %, noch etwa 14 Stunden. Lade ihn bald auf."


# --- the texts that are not alerts, in English and in German ---------------------------------------------------------

def test_the_code_text_in_each_language():
    assert verification_text("123456") == (
        "Your Battery Text code is 123456. It expires in 10 minutes. If you did not ask for it, ignore this text.")
    assert verification_text("123456", "de") == (
        "Dein Battery Text-Code ist 123456. Er gilt 10 Minuten. Wenn du ihn nicht angefordert hast, ignoriere diese SMS.")


def test_an_extra_numbers_code_and_welcome_name_the_account_holder_in_gsm7_letters():
    assert recipient_code_text("Zoë", "123456", "de") == (
        "Battery Text: Zoe möchte, dass du SMS zu schwachen Tracker-Akkus bekommst. "
        "Zum Zustimmen gib den Code 123456 weiter, sonst ignoriere dies.")
    assert recipient_welcome_text("Zoë", "de") == (
        "Battery Text: Du bekommst eine SMS, wenn ein Tracker-Akku von Zoe schwach wird. Antworte STOPP zum Beenden.")
    assert recipient_welcome_text("Zoë") == (
        "Battery Text: you will get texts when Zoe's tracker battery runs low. Reply STOP to end.")


def test_the_welcome_names_one_tracker_in_the_long_form_when_it_fits_one_segment():
    assert welcome_text([CHARGE]) == (
        "Battery Text is on: we will text this number when a tracker runs low. Charge 6 80%. "
        "Reply BATTERY for levels, STOP to end.")
    assert welcome_text([CHARGE], "de") == (
        "Battery Text ist an: Wir schicken eine SMS, wenn ein Tracker-Akku schwach wird. Charge 6 80%. "
        "Antworte AKKU für die Stände, STOPP zum Beenden.")


def test_the_welcome_for_many_trackers_takes_the_short_form_with_each_level_status_or_not_read_yet():
    assert welcome_text(MIXED) == (
        "Battery Text is on. Charge 6 80%, Aria Air low, watch not read yet, Inspire 3 weird. Reply STOP to end.")
    assert welcome_text(MIXED, "de") == (
        "Battery Text ist an. Charge 6 80%, Aria Air schwach, watch noch nicht gelesen, Inspire 3 weird. "
        "Antworte STOPP zum Beenden.")


def test_the_welcome_for_a_drawer_of_trackers_too_long_for_one_segment_still_goes_in_the_short_form():
    drawer = [DeviceReading(f"t{n}", "TRACKER", f"Inspire 3 Lunar White {n}", battery_level=50 + n) for n in range(8)]
    welcome = welcome_text(drawer, "de")
    assert segment_count(welcome) > 1
    assert welcome.startswith("Battery Text ist an. Inspire 3 Lunar White 0 50%, ")
    assert welcome.endswith(", Inspire 3 Lunar White 7 57%. Antworte STOPP zum Beenden.")


def test_the_welcome_without_trackers_or_without_a_reading_says_so_in_the_readers_language():
    assert welcome_text([], "de") == (
        "Battery Text ist an, aber dein Konto hat noch keinen Tracker. Kopple einen in seiner App und synchronisiere "
        "ihn, dann achten wir auf den Akku. STOPP beendet.")
    assert welcome_unread_text("de") == (
        "Battery Text ist an: Wir schicken eine SMS, wenn ein Tracker-Akku schwach wird. Deine Tracker sind noch "
        "nicht gelesen; die Stände folgen per SMS. STOPP beendet.")


def test_the_first_reading_and_the_battery_answer_list_every_level_in_the_readers_language():
    assert first_reading_text(MIXED) == (
        "Battery Text, first reading: Charge 6 80%, Aria Air low, watch not read yet, Inspire 3 weird.")
    assert first_reading_text(MIXED, "de") == (
        "Battery Text, erste Messung: Charge 6 80%, Aria Air schwach, watch noch nicht gelesen, Inspire 3 weird.")
    assert battery_text(MIXED, "de") == (
        "Akku jetzt: Charge 6 80%, Aria Air schwach, watch noch nicht gelesen, Inspire 3 weird.")
    assert battery_text([CHARGE]) == "Battery now: Charge 6 80%."


def test_with_no_reading_yet_the_first_reading_and_the_battery_answer_say_when_one_comes():
    german = "Battery Text hat noch keinen Akkustand. Er kommt nach der nächsten Synchronisierung deines Trackers."
    assert first_reading_text([], "de") == german
    assert battery_text([], "de") == german
    assert battery_text([]) == "Battery Text has no battery reading yet. It arrives after your tracker's next sync."


def test_the_battery_answer_lists_at_most_eight_trackers():
    drawer = [DeviceReading(f"t{n}", "TRACKER", f"Tracker {n}", battery_level=50 + n) for n in range(9)]
    answer = battery_text(drawer)
    assert "Tracker 7 57%" in answer and "Tracker 8" not in answer


def test_the_reconnect_text_names_our_website_when_no_address_is_set_in_the_readers_language():
    assert connection_text(RECONNECT, None) == (
        "Battery Text: we can no longer read your tracker's battery, so alerts are paused. "
        "Sign in again at our website to turn them back on.")
    assert connection_text(RECONNECT, None, "de") == (
        "Battery Text: Wir können deinen Akku nicht mehr lesen, die Warnungen sind pausiert. "
        "Melde dich unter unserer Website wieder an.")
    assert connection_text(RETIRED, "batterytext.example", "de") == (
        "Battery Text: Fitbit hat seinen alten Dienst abgeschaltet, die Warnungen sind pausiert. "
        "Verbinde dich unter batterytext.example mit Google, um sie fortzusetzen.")


# --- codes hidden, replies read ---------------------------------------------------------------------------------------

def test_a_code_is_hidden_but_longer_or_shorter_numbers_are_not():
    assert redacted("Code 123456, not 1234567 or 12345.") == "Code ------, not 1234567 or 12345."
    assert redacted("123456") == "------"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("STOP", Reply.STOP), ("stop", Reply.STOP), ("\tstop\n", Reply.STOP), ("  ¡Baja! ", Reply.STOP),
        ("Arrêt", Reply.STOP), ("«akku»", Reply.BATTERY), ("Batería", Reply.BATTERY), ("start.", Reply.START),
        ("hilfe?", Reply.HELP), ("stopping", Reply.HELP), ("STOPX", Reply.HELP), ("XSTOP", Reply.HELP), ("", Reply.HELP), (None, Reply.HELP),
        ("XXXX", Reply.HELP),
    ],
)
def test_a_reply_word_is_read_whatever_its_case_accents_and_punctuation(typed, meant):
    assert reply_keyword(typed) is meant


@pytest.mark.parametrize(
    ("kind", "body", "meant"),
    [
        ("opt_out", "anything", Reply.STOP),
        ("reply", "Akku jetzt: Charge 6 80%.", Reply.BATTERY),
        ("reply", "Bateria ahora: Charge 6 80%.", Reply.BATTERY),
        ("reply", "Battery Text: Die SMS sind wieder an. Antworte AKKU für die Stände, STOPP zum Beenden.",
         Reply.START),
        ("reply", "Battery Text has no battery reading yet. It arrives after your tracker's next sync.",
         Reply.BATTERY),
        ("reply", "anything else we said", Reply.HELP),
        ("welcome", "Battery now: Charge 6 80%.", None),
    ],
)
def test_what_a_reply_asked_for_is_read_back_from_our_answer(kind, body, meant):
    assert reply_answered(kind, body) is meant
