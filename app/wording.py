"""The words of the texts that are not battery alerts: codes, welcome, replies, opt-out and opt-in."""

from __future__ import annotations

import enum
import string
from collections.abc import Sequence

from app.alerts import DeviceReading
from app.devices import display_name
from app.segments import is_single_gsm7_segment

VERIFICATION = (
    "Your Battery Text code is {code}. It expires in 10 minutes. If you did not ask for it, ignore this text."
)
VERIFICATION_REDACTED = VERIFICATION.format(code="------")
# To an extra number: whose trackers, how to agree, how to refuse. Nothing else goes to it before it is confirmed.
RECIPIENT_CODE = (
    "Battery Text: {name} asks to text you when their tracker's battery is low. "
    "To agree, give them code {code}. To refuse, ignore this."
)
RECIPIENT_WELCOME = "Battery Text: you will get texts when {name}'s tracker battery runs low. Reply STOP to end."
WELCOME = (
    "Battery Text is on: we will text this number when a tracker runs low. {levels} "
    "Reply BATTERY for levels, STOP to end."
)
WELCOME_SHORT = "Battery Text is on. {levels} Reply STOP to end."
WELCOME_NO_DEVICES = (
    "Battery Text is on, but your account shows no tracker yet. Pair one in its app and sync it, "
    "and we will watch its battery. Reply STOP to end."
)
WELCOME_UNREAD = (
    "Battery Text is on: we will text this number when a tracker runs low. We could not read your "
    "trackers yet; their levels follow by text. Reply STOP to end."
)
FIRST_READING = "Battery Text, first reading: {levels}"
BATTERY = "Battery now: {levels}"
BATTERY_NO_DEVICES = "Battery Text has no battery reading yet. It arrives after your tracker's next sync."
TEST = "Battery Text: here is the test text you asked for, so our texts reach you. Reply STOP to end."
HELP = "Battery Text: reply BATTERY for battery levels, STOP to end texts, START to resume."
OPTED_OUT = "Battery Text: you will get no more texts. Reply START to turn them back on."
OPTED_IN = "Battery Text: texts are back on. Reply BATTERY for levels, STOP to end."
ALREADY_IN = "Battery Text: your texts are on. Reply BATTERY for levels, STOP to end."
RECONNECT = (
    "Battery Text: we can no longer read your tracker's battery, so alerts are paused. "
    "Sign in again at {site} to turn them back on."
)
RETIRED = (
    "Battery Text: Fitbit has switched off its old service, so alerts are paused. "
    "Reconnect with Google at {site} to keep them coming."
)

MAX_NAME = 24
MAX_DEVICES = 8  # keeps even a drawer full of trackers inside three segments


def verification_text(code: str) -> str:
    return VERIFICATION.format(code=code)


def recipient_code_text(name: str, code: str) -> str:
    return RECIPIENT_CODE.format(name=name, code=code)


def recipient_welcome_text(name: str) -> str:
    return RECIPIENT_WELCOME.format(name=name)


def device_level(device: DeviceReading) -> str:
    """'Charge 6 80%', or the platform's word when it gives no percentage: 'Sense 2 low'."""
    name = display_name(device.product_name, device.device_type, MAX_NAME)
    if device.battery_level is not None:
        return f"{name} {device.battery_level}%"
    if device.battery_status:
        return f"{name} {device.battery_status.lower()}"
    return f"{name} not read yet"


def levels_sentence(devices: Sequence[DeviceReading]) -> str:
    return ", ".join(device_level(device) for device in devices[:MAX_DEVICES]) + "."


def welcome_text(devices: Sequence[DeviceReading]) -> str:
    """The first text after verifying: proof that texts arrive, with each device's battery right now."""
    if not devices:
        return WELCOME_NO_DEVICES
    levels = levels_sentence(devices)
    for template in (WELCOME, WELCOME_SHORT):
        text = template.format(levels=levels)
        if is_single_gsm7_segment(text):
            return text
    return WELCOME_SHORT.format(levels=levels)


def welcome_unread_text() -> str:
    """The welcome when the platform could not be read in time: the levels follow in a first-reading text."""
    return WELCOME_UNREAD


def first_reading_text(devices: Sequence[DeviceReading]) -> str:
    """The short text that follows a welcome sent without levels, once the platform answers."""
    if not devices:
        return BATTERY_NO_DEVICES
    return FIRST_READING.format(levels=levels_sentence(devices))


def battery_text(devices: Sequence[DeviceReading]) -> str:
    """The answer to BATTERY: every watched device's level, in one line."""
    if not devices:
        return BATTERY_NO_DEVICES
    return BATTERY.format(levels=levels_sentence(devices))


class Reply(str, enum.Enum):
    """What a text from the user's phone asks for."""

    STOP = "STOP"
    START = "START"
    BATTERY = "BATTERY"
    HELP = "HELP"


REPLY_WORDS = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), Reply.STOP),
    **dict.fromkeys(("START", "UNSTOP", "YES"), Reply.START),
    **dict.fromkeys(("BATTERY", "BATT"), Reply.BATTERY),
}


def reply_keyword(text: str | None) -> Reply:
    """The reply's meaning: one of the words we act on, whatever its case and punctuation, else HELP."""
    word = (text or "").strip().strip(string.punctuation + string.whitespace).upper()
    return REPLY_WORDS.get(word, Reply.HELP)


ANSWERS = {OPTED_IN: Reply.START, ALREADY_IN: Reply.START, BATTERY_NO_DEVICES: Reply.BATTERY}


def reply_answered(kind: str, body: str) -> Reply | None:
    """What the user's reply meant, read from our answer to it; None for a text that answers nothing. We keep
    no copy of what people text us, only our answers, and each answer says which question it answers
    (HELP stands for any word we do not act on)."""
    if kind == "opt_out":
        return Reply.STOP
    if kind != "reply":
        return None
    if body.startswith(BATTERY.split("{", 1)[0]):
        return Reply.BATTERY
    return ANSWERS.get(body, Reply.HELP)
