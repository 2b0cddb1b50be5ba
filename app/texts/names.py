"""Names as a text carries them, pure: a device's in GSM-7 letters cut to fit one segment, or its kind; a person's.

A name GSM-7 cannot carry would turn the whole text UCS-2 (70 characters a segment, not 160), so every name we
put in a text is written in GSM-7 letters first (`segments.gsm7_only`).
"""

from __future__ import annotations

from app.rules.devices import fallback_name
from app.texts.segments import gsm7_only

# Longer product names are cut so every alert stays one SMS segment (tests/unit/test_text_fit.py).
MAX_PRODUCT_NAME = 40


def display_name(product_name: str | None, device_type: str | None, max_length: int = MAX_PRODUCT_NAME) -> str:
    """The device's name as a text can carry it: GSM-7 only, cut at a word to `max_length`, or its kind."""
    name = gsm7_only(product_name or "")
    if not name:
        return fallback_name(device_type)
    if len(name) > max_length:  # cut at a word where there is one
        name = name[: max_length + 1].rsplit(" ", 1)[0][:max_length]
    return name


def person_name(name: str) -> str:
    """Someone's name as a text carries it: in GSM-7 letters, or as they wrote it when none of it is."""
    return gsm7_only(name) or name
