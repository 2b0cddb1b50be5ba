"""The words of the texts that are not battery alerts, pure: codes, welcome, replies, opt-out and opt-in.

Each is written in the language of the number's owner (`language`, "en" when none is given) and sent as
`segments.as_sent` makes it: as written when it fits one segment, else in GSM-7 letters.
"""

from __future__ import annotations

import enum
import re
import string
import unicodedata
from collections.abc import Sequence
from functools import cache

from app.rules.alerts import DeviceReading
from app.texts.languages import LANGUAGES
from app.texts.names import display_name, person_name
from app.texts.segments import as_sent, is_single_segment, to_gsm7
from app.texts.sms_words import filled, sms_text, words

VERIFICATION = sms_text(
    "Your Battery Text code is {code}. It expires in 10 minutes. If you did not ask for it, ignore this text."
)
VERIFICATION_REDACTED = VERIFICATION.format(code="------")
# To an extra number: whose trackers, how to agree, how to refuse. Nothing else goes to it before it is confirmed.
RECIPIENT_CODE = sms_text(
    "Battery Text: {name} asks to text you when their tracker's battery is low. "
    "To agree, give them code {code}. To refuse, ignore this."
)
RECIPIENT_WELCOME = sms_text(
    "Battery Text: you will get texts when {name}'s tracker battery runs low. Reply STOP to end."
)
WELCOME = sms_text(
    "Battery Text is on: we will text this number when a tracker runs low. {levels} "
    "Reply BATTERY for levels, STOP to end."
)
WELCOME_SHORT = sms_text("Battery Text is on. {levels} Reply STOP to end.")
WELCOME_NO_DEVICES = sms_text(
    "Battery Text is on, but your account shows no tracker yet. Pair one in its app and sync it, "
    "and we will watch its battery. Reply STOP to end."
)
WELCOME_UNREAD = sms_text(
    "Battery Text is on: we will text this number when a tracker runs low. We could not read your "
    "trackers yet; their levels follow by text. Reply STOP to end."
)
FIRST_READING = sms_text("Battery Text, first reading: {levels}")
BATTERY = sms_text("Battery now: {levels}")
BATTERY_NO_DEVICES = sms_text("Battery Text has no battery reading yet. It arrives after your tracker's next sync.")
TEST = sms_text("Battery Text: here is the test text you asked for, so our texts reach you. Reply STOP to end.")
HELP = sms_text("Battery Text: reply BATTERY for battery levels, STOP to end texts, START to resume.")
OPTED_OUT = sms_text("Battery Text: you will get no more texts. Reply START to turn them back on.")
OPTED_IN = sms_text("Battery Text: texts are back on. Reply BATTERY for levels, STOP to end.")
ALREADY_IN = sms_text("Battery Text: your texts are on. Reply BATTERY for levels, STOP to end.")
RECONNECT = sms_text(
    "Battery Text: we can no longer read your tracker's battery, so alerts are paused. "
    "Sign in again at {site} to turn them back on."
)
RETIRED = sms_text(
    "Battery Text: Fitbit has switched off its old service, so alerts are paused. "
    "Reconnect with Google at {site} to keep them coming."
)
OUR_WEBSITE = sms_text("our website")
# The platform's battery word when it gives no percentage ("Sense 2 low"), and a device never read.
STATUS_WORDS = {"high": sms_text("high"), "medium": sms_text("medium"), "low": sms_text("low"),
                "empty": sms_text("empty")}
NOT_READ_YET = sms_text("{name} not read yet")
# Texts that are the same for everyone who reads that language (no name, no level in them).
FIXED_TEXTS = (WELCOME_NO_DEVICES, WELCOME_UNREAD, BATTERY_NO_DEVICES, TEST, HELP, OPTED_OUT, OPTED_IN, ALREADY_IN)

MAX_NAME = 24
MAX_DEVICES = 8  # keeps even a drawer full of trackers inside three segments


def say(template: str, language: str = "en", **values: object) -> str:
    """A text's words in `language`, filled, as we send them."""
    return as_sent(filled(template, language, **values))


def verification_text(code: str, language: str = "en") -> str:
    return say(VERIFICATION, language, code=code)


def redacted(body: str) -> str:
    """A code text's body with its code hidden ("------"), in whatever language it was written."""
    return re.sub(r"(?<!\d)\d{6}(?!\d)", "------", body)


def recipient_code_text(name: str, code: str, language: str = "en") -> str:
    return say(RECIPIENT_CODE, language, name=person_name(name), code=code)


def recipient_welcome_text(name: str, language: str = "en") -> str:
    return say(RECIPIENT_WELCOME, language, name=person_name(name))


def device_level(device: DeviceReading, language: str = "en") -> str:
    """'Charge 6 80%', or the platform's word when it gives no percentage: 'Sense 2 low'."""
    name = display_name(device.product_name, device.device_type, MAX_NAME)
    if device.battery_level is not None:
        return f"{name} {device.battery_level}%"
    if device.battery_status:
        status = device.battery_status.lower()
        return f"{name} {words(STATUS_WORDS[status], language) if status in STATUS_WORDS else status}"
    return words(NOT_READ_YET, language).format(name=name)


def levels_sentence(devices: Sequence[DeviceReading], language: str = "en") -> str:
    return ", ".join(device_level(device, language) for device in devices[:MAX_DEVICES]) + "."


def welcome_text(devices: Sequence[DeviceReading], language: str = "en") -> str:
    """The first text after verifying: proof that texts arrive, with each device's battery right now."""
    if not devices:
        return say(WELCOME_NO_DEVICES, language)
    levels = levels_sentence(devices, language)
    for template in (WELCOME, WELCOME_SHORT):
        text = say(template, language, levels=levels)
        if is_single_segment(text):
            return text
    return say(WELCOME_SHORT, language, levels=levels)


def welcome_unread_text(language: str = "en") -> str:
    """The welcome when the platform could not be read in time: the levels follow in a first-reading text."""
    return say(WELCOME_UNREAD, language)


def first_reading_text(devices: Sequence[DeviceReading], language: str = "en") -> str:
    """The short text that follows a welcome sent without levels, once the platform answers."""
    if not devices:
        return say(BATTERY_NO_DEVICES, language)
    return say(FIRST_READING, language, levels=levels_sentence(devices, language))


def battery_text(devices: Sequence[DeviceReading], language: str = "en") -> str:
    """The answer to BATTERY: every watched device's level, in one line."""
    if not devices:
        return say(BATTERY_NO_DEVICES, language)
    return say(BATTERY, language, levels=levels_sentence(devices, language))


def connection_text(template: str, site: str | None, language: str = "en") -> str:
    """The reconnect or retired text, naming where to sign in (our website when no address is set)."""
    return say(template, language, site=site or words(OUR_WEBSITE, language))


class Reply(str, enum.Enum):
    """What a text from the user's phone asks for."""

    STOP = "STOP"
    START = "START"
    BATTERY = "BATTERY"
    HELP = "HELP"


# Every language's words are understood from every number (a reply carries no language), English's too; the
# texts tell each reader their own language's word (docs/texts.md, the reply words).
REPLY_WORDS = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "STOPP", "ARRET", "BAJA", "PARAR"),
                    Reply.STOP),
    **dict.fromkeys(("START", "UNSTOP", "YES", "REPRENDRE", "ALTA", "INICIO"), Reply.START),
    **dict.fromkeys(("BATTERY", "BATT", "AKKU", "BATTERIE", "BATERIA", "PILA"), Reply.BATTERY),
    **dict.fromkeys(("HELP", "HILFE", "AIDE", "AYUDA"), Reply.HELP),
}


def reply_keyword(text: str | None) -> Reply:
    """The reply's meaning: one of the words we act on, whatever its case, accents and punctuation, else HELP."""
    word = (text or "").strip().strip(string.punctuation + string.whitespace + "¡¿«»")
    plain = "".join(char for char in unicodedata.normalize("NFKD", word) if not unicodedata.combining(char))
    return REPLY_WORDS.get(plain.upper(), Reply.HELP)


@cache
def known_answers() -> tuple[dict[str, Reply], tuple[str, ...]]:
    """Our answers in every language, as sent (with or without the accents GSM-7 lacks), and the openings of the
    battery answer."""
    answers: dict[str, Reply] = {}
    openings: set[str] = set()
    for language in LANGUAGES:
        for template, reply in ((OPTED_IN, Reply.START), (ALREADY_IN, Reply.START),
                                (BATTERY_NO_DEVICES, Reply.BATTERY)):
            written = words(template, language)
            answers |= {written: reply, to_gsm7(written): reply}
        opening = words(BATTERY, language).split("{", 1)[0]
        openings |= {opening, to_gsm7(opening)}
    return answers, tuple(sorted(openings))


def reply_answered(kind: str, body: str) -> Reply | None:
    """What the user's reply meant, read from our answer to it (in any language); None for a text that answers
    nothing. We keep no copy of what people text us, only our answers, and each answer says which question it
    answers (HELP stands for any word we do not act on)."""
    if kind == "opt_out":
        return Reply.STOP
    if kind != "reply":
        return None
    answers, battery_openings = known_answers()
    if body.startswith(battery_openings):
        return Reply.BATTERY
    return answers.get(body, Reply.HELP)
