"""The words of the alerts, pure: each template, whose tracker it names in each language, the time left, and
`alert_text`, which writes a decided alert (`app.rules.alerts.Alert`) for one number in its language.

A template names the tracker as {device} ({Device} opening a sentence): "your Charge 6" on the account's own
phone, "Sam's Charge 6" on an extra number's, and each language orders those words its own way ("le Charge 6
de Sam", "Sams Charge 6"). Every template, filled with the longest device name we allow and the longest name an
extra number knows the account holder by, stays one SMS segment in every language (tests/unit/test_text_fit.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from babel.units import format_unit

from app.rules.alerts import Alert, AlertDevice
from app.rules.drain import rounded_time_left
from app.texts.languages import LANGUAGES
from app.texts.names import display_name, person_name
from app.texts.segments import as_sent, is_single_segment
from app.texts.sms_words import filled, language_of, sms_text, words

# The name the extra number's owner knows the account holder by ("Sam"), at most this long.
MAX_KNOWN_AS = 24
LONGEST_KNOWN_AS = "W" * MAX_KNOWN_AS
LOW_AT_LEVEL = sms_text("Battery low: {device} is at {level}%. Charge it soon so it keeps tracking.")
LOW_WITH_TIME_LEFT = sms_text("Battery low: {device} is at {level}%, {left}. Charge it soon.")
LOW_NO_LEVEL = sms_text("Battery low: {device} has little charge left. Charge it soon so it keeps tracking.")
EMPTY_AT_LEVEL = sms_text("Battery empty: {device} is at {level}%. Charge it now or it will stop tracking.")
EMPTY_NO_LEVEL = sms_text("Battery empty: {device} is about to switch off. Charge it now to keep tracking.")
SILENT = sms_text(
    "{Device} has not synced for {silence}. Its battery may be flat: charge it, then open its app to sync."
)
ALERT_TEMPLATES = (LOW_AT_LEVEL, LOW_WITH_TIME_LEFT, LOW_NO_LEVEL, EMPTY_AT_LEVEL, EMPTY_NO_LEVEL, SILENT)
# The evening reminder (app.rules.reminders): {devices} is "your Pixel Watch 3 and Charge 6", or "3 of your
# trackers" when the names would not fit.
REMINDER_ONE = sms_text("Charge tonight: {device} is at {level}% and should run low before this time tomorrow.")
REMINDER_MANY = sms_text("Charge tonight: {devices} should run low before this time tomorrow.")

# Whose tracker: the account's own ("your"), or the account holder's by the name its owner knows ({owner}).
YOUR_DEVICE = sms_text("your {name}")
OWNERS_DEVICE = sms_text("{owner}'s {name}")
YOUR_DEVICES = sms_text("your {names}")
OWNERS_DEVICES = sms_text("{owner}'s {names}")
YOUR_COUNT = sms_text("{count} of your trackers")
OWNERS_COUNT = sms_text("{count} of {owner}'s trackers")
NAMES_AND_LAST = sms_text("{names} and {last}")
LESS_THAN_AN_HOUR = sms_text("less than an hour left")
ABOUT_LEFT = sms_text("about {duration} left")


def alert_text(alert: Alert, owner: str | None = None, language: str = "en") -> str:
    """The alert's words for one number, in its language: the account's own (`owner` None: "your Charge 6") or an
    extra number's, naming the account holder as its owner knows them ("Battery low: Sam's Charge 6…")."""
    template, values = alert_template(alert)
    return render(template, values, owner, language)


def alert_template(alert: Alert) -> tuple[str, dict[str, object]]:
    """The words an alert is said in, and what fills them."""
    if alert.kind == "reminder":
        return reminder_template(alert.devices)
    (device,) = alert.devices
    if alert.kind == "silent":
        return SILENT, {"name": display_name(device.product_name, device.device_type),
                        "quiet_hours": quiet_hours(alert.silent_for or timedelta(0))}
    template, values = battery_template(alert.kind, device.level, hours_left(alert.time_left))
    return template, {"name": display_name(device.product_name, device.device_type), **values}


def battery_template(kind: str, level: int | None, hours_left: float | None) -> tuple[str, dict[str, object]]:
    """The words of a battery text and what fills them: the time left only when the forecast is confident."""
    if kind == "empty":
        return (EMPTY_NO_LEVEL if level is None else EMPTY_AT_LEVEL), {"level": level}
    if level is not None and hours_left is not None:
        return LOW_WITH_TIME_LEFT, {"level": level, "hours_left": hours_left}
    return (LOW_NO_LEVEL if level is None else LOW_AT_LEVEL), {"level": level}


def reminder_template(devices: tuple[AlertDevice, ...]) -> tuple[str, dict[str, object]]:
    """One device by name and level; several by name; so many that the names would not fit one segment on
    every phone it may go to (any language, the longest "Sam's" included), by count."""
    names = [display_name(device.product_name, device.device_type) for device in devices]
    if len(devices) == 1:
        return REMINDER_ONE, {"name": names[0], "level": devices[0].level}
    listed: dict[str, object] = {"names": tuple(names)}
    if all(is_single_segment(render(REMINDER_MANY, listed, LONGEST_KNOWN_AS, language)) for language in LANGUAGES):
        return REMINDER_MANY, listed
    return REMINDER_MANY, {"count": len(devices)}


def hours_left(time_left: timedelta | None) -> float | None:
    """The time left in hours, as the low text counts it; None when no time is promised."""
    return None if time_left is None else time_left.total_seconds() / 3600


def quiet_hours(quiet_since: timedelta) -> int:
    """Whole hours a device has been silent: what the silence text counts."""
    return int(quiet_since.total_seconds() // 3600)


def render(template: str, values: Mapping[str, object], owner: str | None = None, language: str = "en") -> str:
    """An alert's words in `language`, about the account's own trackers, or `owner`'s on an extra number's phone."""
    language = language_of(language)
    device = device_phrase(values, owner, language)
    filled = {name: value for name, value in values.items() if name not in ("hours_left", "quiet_hours", "names")}
    if "hours_left" in values:
        filled["left"] = time_left(float(values["hours_left"]), language)  # type: ignore[arg-type]
    if "quiet_hours" in values:
        filled["silence"] = how_long(int(values["quiet_hours"]), language)  # type: ignore[call-overload]
    text = words(template, language).format(**filled, device=device, devices=device,
                                            Device=device[:1].upper() + device[1:])
    return as_sent(text)


def device_phrase(values: Mapping[str, object], owner: str | None, language: str) -> str:
    """"your Charge 6", "Sam's Charge 6", "3 of your trackers": whose trackers, in the reader's language."""
    if "count" in values:
        template, fill = (YOUR_COUNT, OWNERS_COUNT), {"count": values["count"]}
    elif "names" in values:
        names = list(values["names"])  # type: ignore[call-overload]
        listed = names[0] if len(names) == 1 else words(NAMES_AND_LAST, language).format(
            names=", ".join(names[:-1]), last=names[-1])
        template, fill = (YOUR_DEVICES, OWNERS_DEVICES), {"names": listed}
    else:
        template, fill = (YOUR_DEVICE, OWNERS_DEVICE), {"name": values["name"]}
    if owner is None:
        return filled(template[0], language, **fill)
    return filled(template[1], language, **fill, owner=owner_name(owner, language))


def owner_name(owner: str, language: str) -> str:
    """The account holder's name as a text carries it (GSM-7 letters), in the possessive where the language's
    catalog needs it spelt by code."""
    written = person_name(owner)
    return german_genitive(written) if language == "de" else written


def german_genitive(name: str) -> str:
    """German's possessive: "Sams", but "Max'" after s, ß, x or z (no apostrophe otherwise)."""
    return f"{name}'" if name[-1:].lower() in "sßxz" else f"{name}s"


def time_left(hours: float, language: str) -> str:
    """"about 14 hours left": rounded as the dashboard rounds it (`drain.rounded_time_left`), in any language."""
    unit, amount = rounded_time_left(hours)
    if unit == "under an hour":
        return words(LESS_THAN_AN_HOUR, language)
    return words(ABOUT_LEFT, language).format(
        duration=duration(amount, "duration-hour" if unit == "hours" else "duration-day", language))


def how_long(quiet_hours: int, language: str) -> str:
    """"30 hours" under two days, then "3 days" (whole ones)."""
    if quiet_hours < 48:
        return duration(quiet_hours, "duration-hour", language)
    return duration(quiet_hours // 24, "duration-day", language)


def duration(amount: int, unit: str, language: str) -> str:
    """"14 hours", "14 Stunden", "14 heures": Babel's words for an amount of time, with a plain space (the
    no-break space some languages put there is not GSM-7)."""
    return format_unit(amount, unit, length="long", locale=language).replace("\u00a0", " ").replace("\u202f", " ")
