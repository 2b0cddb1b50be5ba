"""The words of the alert texts, pure: each template, whose tracker it names, and the time left it promises.

Every template, filled with the longest device name we allow and the longest "Sam's", stays one SMS segment
(tests/unit/test_alerts.py, tests/unit/test_time_left_texts.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from app.drain import time_left

# {whose} is "your" in the account's own texts and "Sam's" in an extra number's (`render`): the name the extra
# number's owner knows the account holder by, at most this long.
MAX_KNOWN_AS = 24
LONGEST_WHOSE = "W" * MAX_KNOWN_AS + "'s"
LOW_AT_LEVEL = "Battery low: {whose} {name} is at {level}%. Charge it soon so it keeps tracking."
LOW_WITH_TIME_LEFT = "Battery low: {whose} {name} is at {level}%, {left}. Charge it soon."
LOW_NO_LEVEL = "Battery low: {whose} {name} has little charge left. Charge it soon so it keeps tracking."
EMPTY_AT_LEVEL = "Battery empty: {whose} {name} is at {level}%. Charge it now or it will stop tracking."
EMPTY_NO_LEVEL = "Battery empty: {whose} {name} is about to switch off. Charge it now to keep tracking."
SILENT = "{Whose} {name} has not synced for {silence}. Its battery may be flat: charge it, then open its app to sync."


def render(template: str, values: Mapping[str, object], whose: str = "your") -> str:
    """An alert's words, about `whose` tracker ("your" for the account's own number)."""
    return template.format(**values, whose=whose, Whose=whose[:1].upper() + whose[1:])


def battery_template(kind: str, level: int | None, hours_left: float | None) -> tuple[str, dict[str, object]]:
    """The words of a battery text and what fills them: the time left only when the forecast is confident."""
    if kind == "empty":
        return (EMPTY_NO_LEVEL if level is None else EMPTY_AT_LEVEL), {"level": level}
    if level is not None and hours_left is not None:
        return LOW_WITH_TIME_LEFT, {"level": level, "left": time_left(hours_left)}
    return (LOW_NO_LEVEL if level is None else LOW_AT_LEVEL), {"level": level}


def hours_until(moment: datetime | None, now: datetime) -> float | None:
    """Hours from now until `moment`; None when unknown or already past (then no time is promised)."""
    if moment is None or moment <= now:
        return None
    return (moment - now).total_seconds() / 3600


def how_long(quiet_since: timedelta) -> str:
    hours = int(quiet_since.total_seconds() // 3600)
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"
