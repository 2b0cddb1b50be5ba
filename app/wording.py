"""The words of the texts that are not battery alerts: codes, welcome, replies, opt-out and opt-in."""

from __future__ import annotations

import string
from collections.abc import Iterable
from datetime import datetime, timedelta

from app.alerts import is_single_gsm7_segment
from app.models import Device

VERIFICATION = (
    "Your Battery Text code is {code}. It expires in 10 minutes. If you did not ask for it, ignore this text."
)
VERIFICATION_REDACTED = VERIFICATION.format(code="------")
WELCOME = (
    "Battery Text is on: we will text this number when a tracker runs low. {levels} "
    "Reply BATTERY for levels, STOP to end."
)
WELCOME_SHORT = "Battery Text is on. {levels} Reply STOP to end."
WELCOME_NO_DEVICES = (
    "Battery Text is on: we will text this number when a tracker runs low. "
    "Your first battery reading is on its way. Reply STOP to end."
)
BATTERY = "Battery now: {levels}"
BATTERY_NO_DEVICES = "Battery Text has no battery reading yet. It arrives after your tracker's next sync."
HELP = "Battery Text: reply BATTERY for battery levels, STOP to end texts, START to resume."
OPTED_OUT = "Battery Text: you will get no more texts. Reply START to turn them back on."
OPTED_IN = "Battery Text: texts are back on. Reply BATTERY for levels, STOP to end."
ALREADY_IN = "Battery Text: your texts are on. Reply BATTERY for levels, STOP to end."

FORGOTTEN_AFTER = timedelta(days=30)  # both platforms keep long-gone devices in their lists
FALLBACK_NAMES = {"TRACKER": "tracker", "WATCH": "watch", "SCALE": "scale"}
MAX_NAME = 24
MAX_DEVICES = 8  # keeps even a drawer full of trackers inside three segments


def verification_text(code: str) -> str:
    return VERIFICATION.format(code=code)


def device_level(device: Device) -> str:
    """'Charge 6 80%', or the platform's word when it gives no percentage: 'Sense 2 low'."""
    name = (device.product_name or FALLBACK_NAMES.get(device.device_type, "tracker"))[:MAX_NAME].strip()
    if device.battery_level is not None:
        return f"{name} {device.battery_level}%"
    if device.battery_status:
        return f"{name} {device.battery_status.lower()}"
    return f"{name} not read yet"


def watched_devices(devices: Iterable[Device], include_scales: bool, now: datetime) -> list[Device]:
    """The devices worth reporting: no scales unless asked for, none silent for a month."""
    return sorted(
        (
            device
            for device in devices
            if (include_scales or device.device_type != "SCALE")
            and (device.last_sync_at is None or now - device.last_sync_at <= FORGOTTEN_AFTER)
        ),
        key=lambda device: (device.product_name or "", device.platform_device_id),
    )


def levels_sentence(devices: list[Device]) -> str:
    return ", ".join(device_level(device) for device in devices[:MAX_DEVICES]) + "."


def welcome_text(devices: list[Device]) -> str:
    """The first text after verifying: proof that texts arrive, with each device's battery right now."""
    if not devices:
        return WELCOME_NO_DEVICES
    levels = levels_sentence(devices)
    for template in (WELCOME, WELCOME_SHORT):
        text = template.format(levels=levels)
        if is_single_gsm7_segment(text):
            return text
    return WELCOME_SHORT.format(levels=levels)


def battery_text(devices: list[Device]) -> str:
    """The answer to BATTERY: every watched device's level, in one line."""
    if not devices:
        return BATTERY_NO_DEVICES
    return BATTERY.format(levels=levels_sentence(devices))


STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
BATTERY_WORDS = frozenset({"BATTERY", "BATT"})


def reply_keyword(text: str | None) -> str | None:
    """'STOP', 'START' or 'BATTERY' when a reply is one of the words we act on, else None (it gets help)."""
    word = (text or "").strip().strip(string.punctuation + string.whitespace).upper()
    if word in STOP_WORDS:
        return "STOP"
    if word in START_WORDS:
        return "START"
    if word in BATTERY_WORDS:
        return "BATTERY"
    return None
