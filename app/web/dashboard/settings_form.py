"""The alert settings form: what the user typed, checked in full before anything is saved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import lru_cache
from importlib.resources import files
from zoneinfo import available_timezones

from babel import Locale
from babel.dates import get_timezone_location
from flask_babel import gettext as _

from app.models import User
from app.texts.languages import DEFAULT_LANGUAGE, LANGUAGES
from app.web.i18n import current_language

THRESHOLD_RANGE = (10, 50)
COUNTRY_NAMES = {"GB": "United Kingdom"}  # zone.tab's own "Britain (UK)" is not what people call it
PLATFORM_ZONE = "platform"  # the form's value for "follow my wearable account's time zone"
# The pause choices: off, a day, a week, until resumed ("on", the old checkbox's value), or a timed pause kept.
TIMED_PAUSES = {"day": timedelta(days=1), "week": timedelta(days=7)}
PAUSES = ("off", *TIMED_PAUSES, "on", "keep")
DEFAULT_REMINDER = "20:00"


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted: the only values the form stores."""
    return tuple(sorted(available_timezones()))


def places() -> tuple[tuple[str, str], ...]:
    """The zones people pick from, as (zone, "London, United Kingdom"), by region then city, in the page's
    language: one per place in tzdata's zone.tab, not the 600 raw names ("Asmera", "WET", "Zulu")."""
    return _places(current_language())


@lru_cache(maxsize=len(LANGUAGES))
def _places(language: str) -> tuple[tuple[str, str], ...]:
    """English names come from tzdata (with zone.tab's note, "Mountain (most areas)"); the others are CLDR's
    city and country names by Babel ("Londres, Royaume-Uni"), the city alone telling a country's zones apart."""
    data = files("tzdata.zoneinfo")
    countries = {**dict(line.split("\t", 1) for line in _rows(data / "iso3166.tab")), **COUNTRY_NAMES}
    locale = Locale.parse(language)
    found = []
    for row in _rows(data / "zone.tab"):
        country, _coordinates, zone, *comment = row.split("\t")
        if language == DEFAULT_LANGUAGE:
            city = zone.rsplit("/", 1)[-1].replace("_", " ")
            where = countries.get(country, country) + (f" — {comment[0]}" if comment else "")
        else:
            city = get_timezone_location(zone, locale=locale, return_city=True)
            where = locale.territories.get(country, countries.get(country, country))
        found.append((zone, f"{city}, {where}"))
    return tuple(sorted(found, key=lambda place: (place[0].split("/", 1)[0], place[1])))


def zone_for(typed: str) -> str | None:
    """The zone the user means: an IANA name, or a place as the list shows it ("London, United Kingdom",
    "Londres, Royaume-Uni" on a French page), or just its city when only one place has it ("london")."""
    if typed in time_zones():
        return typed
    wanted = " ".join(typed.split()).casefold()
    shown = {*places(), *_places(DEFAULT_LANGUAGE)}
    matches = {zone for zone, label in shown if wanted in (label.casefold(), label.split(",")[0].casefold())}
    return matches.pop() if len(matches) == 1 else None


def zone_label(zone: str) -> str:
    """A zone as the list shows it: "London, United Kingdom", or the raw name for one outside the list."""
    return dict(places()).get(zone, zone)


def _rows(path) -> list[str]:
    return [line.rstrip("\n") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


@dataclass
class AlertSettingsForm:
    """The submitted values, as typed, and a plain message per field that is wrong."""

    threshold: str = ""
    quiet_start: str = ""
    quiet_end: str = ""
    time_zone: str = ""
    include_scales: bool = False
    paused: str = "off"
    remind: bool = False
    remind_at: str = DEFAULT_REMINDER
    language: str = ""  # empty: as it is (a form from before the choice existed)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_user(cls, user: User, now: datetime) -> AlertSettingsForm:
        return cls(
            threshold=str(user.threshold_percent),
            quiet_start=_clock(user.quiet_start),
            quiet_end=_clock(user.quiet_end),
            time_zone=PLATFORM_ZONE if user.time_zone_from_platform else user.time_zone,
            include_scales=bool(user.include_scales),
            paused="on" if user.paused else "keep" if user.paused_at(now) else "off",
            remind=user.remind_at is not None,
            remind_at=_clock(user.remind_at) or DEFAULT_REMINDER,
            language=user.language,
        )

    @classmethod
    def from_post(cls, form: Mapping[str, str]) -> AlertSettingsForm:
        submitted = cls(
            threshold=form.get("threshold", "").strip(),
            quiet_start=form.get("quiet_start", "").strip(),
            quiet_end=form.get("quiet_end", "").strip(),
            time_zone=PLATFORM_ZONE if form.get("zone_source") == PLATFORM_ZONE else form.get("time_zone", "").strip(),
            include_scales=form.get("include_scales") == "on",
            paused=form.get("paused", "off") if form.get("paused", "off") in PAUSES else "off",
            remind=form.get("remind") == "on",
            remind_at=form.get("remind_at", "").strip(),
            language=form.get("language", "").strip(),
        )
        submitted.validate()
        return submitted

    def validate(self) -> None:
        low, high = THRESHOLD_RANGE
        if not (_whole_number(self.threshold, 3) and low <= int(self.threshold) <= high):
            self.errors["threshold"] = _("Choose a whole number from %(low)d to %(high)d.", low=low, high=high)
        for name in ("quiet_start", "quiet_end"):
            if (self.quiet_start or self.quiet_end) and _parse_clock(getattr(self, name)) is None:
                self.errors[name] = _("Give both a start and an end time, or leave both quiet-hours boxes empty.")
        if not self.errors.get("quiet_start") and not self.errors.get("quiet_end") and self.quiet_start \
                and self.quiet_start == self.quiet_end:
            self.errors["quiet_end"] = _("Quiet hours must end at a different time than they start.")
        if self.remind and _parse_clock(self.remind_at) is None:
            self.errors["remind_at"] = _("Give the reminder's time as hours and minutes, like 20:00.")
        if self.time_zone != PLATFORM_ZONE:
            zone = zone_for(self.time_zone)
            if zone is None:
                self.errors["time_zone"] = _("Choose a place from the list, like London, United Kingdom.")
            else:
                self.time_zone = zone
        if self.language and self.language not in LANGUAGES:
            self.errors["language"] = _("Choose one of the languages listed.")

    def apply_to(self, user: User, now: datetime) -> None:
        """Store the checked values; the time zone stops following the platform once the user picks one."""
        if self.errors:
            raise ValueError("the form has errors; nothing may be saved")
        user.threshold_percent = int(self.threshold)
        user.quiet_start = _parse_clock(self.quiet_start)
        user.quiet_end = _parse_clock(self.quiet_end)
        user.include_scales = self.include_scales
        user.paused = self.paused == "on"
        if self.paused != "keep":
            user.paused_until = now + TIMED_PAUSES[self.paused] if self.paused in TIMED_PAUSES else None
        user.remind_at = _parse_clock(self.remind_at) if self.remind else None
        if self.language:
            user.language = self.language
        if self.time_zone == PLATFORM_ZONE:
            user.time_zone_from_platform = True
        else:
            user.time_zone = self.time_zone
            user.time_zone_from_platform = False


def _whole_number(text: str, most_digits: int) -> bool:
    """ASCII digits only, at most `most_digits`: "²" and "٣" pass str.isdigit() but not int()'s taste."""
    return 0 < len(text) <= most_digits and text.isascii() and text.isdigit()


def _clock(value: time | None) -> str:
    return "" if value is None else f"{value:%H:%M}"


def _parse_clock(text: str) -> time | None:
    """HH:MM on the 24-hour clock (what a browser's time field sends); anything else is None."""
    hours, colon, minutes = text.partition(":")
    if not (colon and _whole_number(hours, 2) and len(minutes) == 2 and _whole_number(minutes, 2)):
        return None
    if int(hours) > 23 or int(minutes) > 59:
        return None
    return time(int(hours), int(minutes))
