"""The dashboard's dates and times in the page's language and the account's zone, written by Babel (CLDR): "3 hours
ago" / "vor 3 Stunden", "Mon 30 Nov, 09:26" / "Mo., 30. Nov., 09:26". A count inside a sentence ("Not synced for 3
days") is the sentence's own ngettext instead, so each language keeps its grammar (German "seit 3 Tagen")."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_timedelta, get_datetime_format
from flask_babel import gettext as _

from app.web.i18n import date_locale

# "Just now", then whole minutes, hours, days, never rounded up: the browser's ticking (dashboard.js) agrees.
AGO_UNITS: tuple[tuple[Literal["day", "hour", "minute"], int], ...] = (("day", 86400), ("hour", 3600), ("minute", 60))


def moment(at: datetime | None, now: datetime, zone: ZoneInfo) -> dict | None:
    """A time as people say it ("3 hours ago") and as the clock on their wall shows it ("Mon 30 Nov, 09:26")."""
    if at is None:
        return None
    return {"iso": at.isoformat(), "ago": ago(at, now), "local": day_and_time(at, zone)}


def ago(at: datetime, now: datetime) -> str:
    seconds = (now - at).total_seconds()
    for unit, size in AGO_UNITS:
        if seconds >= size:
            # An infinite threshold keeps Babel on this unit: 14 days stay "14 days ago", not "2 weeks ago".
            return format_timedelta(timedelta(seconds=-(seconds // size) * size), granularity=unit,
                                    threshold=math.inf, add_direction=True, locale=date_locale())
    return _("just now")


def day_and_time(at: datetime, zone: ZoneInfo) -> str:
    """"Mon 30 Nov, 09:26" on the account's clock, as the page's language writes a day and a time."""
    locale = date_locale()
    return str(get_datetime_format("medium", locale=locale)).replace("{1}", day(at, zone, weekday=True)).replace(
        "{0}", clock(at, zone))


def day(at: datetime, zone: ZoneInfo, weekday: bool = False) -> str:
    """"30 Nov" (or "Mon 30 Nov") on the account's calendar."""
    return format_skeleton("MMMEd" if weekday else "MMMd", at.astimezone(zone), locale=date_locale())


def weekday(at: datetime, zone: ZoneInfo) -> str:
    """"Mon", the chart's day label for a week."""
    return format_skeleton("E", at.astimezone(zone), locale=date_locale())


def clock(at: datetime, zone: ZoneInfo) -> str:
    """"09:26" on the account's 24-hour clock."""
    return format_skeleton("Hm", at.astimezone(zone), locale=date_locale())
