"""How a text travels, pure: GSM-7 (basic set and extension table) or UCS-2, and how many segments it costs.

GSM 03.38: a text made only of the basic set and the extension table goes as GSM-7, 160 septets in one segment,
153 a part once concatenated (the part header takes the rest); each extension character costs an escape and
itself, 2 septets, and is never split from its escape. Any other character makes the whole text UCS-2: 70 UTF-16
code units in one segment, 67 a part, and a character outside the BMP (most emoji) costs 2 units, never split.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from anyascii import anyascii

Encoding = Literal["GSM-7", "UCS-2"]

SMS_SEGMENT_LENGTH = 160
GSM7_SINGLE, GSM7_PART = 160, 153  # septets
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units

# GSM 03.38 basic character set: one septet each.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# GSM 03.38 extension table, reached with the escape: two septets each (form feed included).
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7 = GSM7_BASIC | GSM7_EXTENSION
# Letters and marks GSM-7 lacks, written with their nearest GSM-7 neighbour (French and Spanish accents first:
# é è à ù Ç ä ö ü ñ ß are GSM-7 already and stay). Anything else goes through `anyascii`.
NEAREST_GSM7 = str.maketrans({
    "á": "a", "â": "a", "ã": "a", "í": "i", "î": "i", "ï": "i", "ó": "o", "ô": "o", "õ": "o", "ú": "u", "û": "u",
    "ê": "e", "ë": "e", "ç": "c", "ÿ": "y", "œ": "oe", "Œ": "OE", "Á": "A", "Â": "A", "À": "A", "Í": "I", "Î": "I",
    "Ó": "O", "Ô": "O", "Ú": "U", "Û": "U", "Ê": "E", "È": "E", "Ë": "E", "ì": "i", "ò": "o",
    "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "–": "-", "—": "-", "…": "...",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ",
})
EXTENSION_TO_BASIC = str.maketrans({"[": "(", "]": ")", "{": "(", "}": ")", "~": "-", "|": "/", "\\": "/", "^": "",
                                    "€": "EUR", "\f": " "})


def encoding(text: str) -> Encoding:
    """GSM-7 when every character is in GSM 03.38 (basic set or extension table), else UCS-2."""
    return "GSM-7" if all(char in GSM7 for char in text) else "UCS-2"


def _units(text: str, how: Encoding) -> list[int]:
    """What each character costs: septets in GSM-7, UTF-16 code units in UCS-2."""
    if how == "GSM-7":
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def length(text: str) -> int:
    """The text's size in its own encoding: septets for GSM-7, UTF-16 code units for UCS-2."""
    return sum(_units(text, encoding(text)))


def segment_count(text: str) -> int:
    """How many SMS segments the text costs; concatenated parts never split a two-unit character."""
    how = encoding(text)
    units = _units(text, how)
    single, part = (GSM7_SINGLE, GSM7_PART) if how == "GSM-7" else (UCS2_SINGLE, UCS2_PART)
    if sum(units) <= single:
        return 1
    parts, filled = 1, 0
    for cost in units:
        if filled + cost > part:
            parts, filled = parts + 1, 0
        filled += cost
    return parts


def is_single_segment(text: str) -> bool:
    """One segment by the encoding the text would really use."""
    return segment_count(text) == 1


def is_single_gsm7_segment(text: str) -> bool:
    """One segment and GSM-7: what a text with our own words and a GSM-7 name always is."""
    return encoding(text) == "GSM-7" and is_single_segment(text)


def to_gsm7(text: str) -> str:
    """The text in GSM-7 letters: accents GSM-7 lacks folded (á → a, ç → c, ô → o), other scripts written in Latin
    letters ("Сергей" → "Sergey"), emoji and other symbols dropped."""
    written = []
    for char in text.translate(NEAREST_GSM7):
        if char in GSM7:
            written.append(char)
        elif unicodedata.category(char)[0] in "LMNPZ":
            written.append("".join(part for part in anyascii(char) if part in GSM7))
    return re.sub(" {2,}", " ", "".join(written))


def gsm7_only(text: str) -> str:
    """A name as a text carries it: GSM-7 letters of the basic set only (`to_gsm7`; the extension table's
    characters, which cost two septets each, made plain), spaces folded."""
    return " ".join(to_gsm7(text).translate(EXTENSION_TO_BASIC).split())


def as_sent(text: str) -> str:
    """The text as we send it: as written when that is one segment in its own encoding (so "Batería" keeps its
    accent when it costs nothing), else in GSM-7 letters whenever that costs fewer segments."""
    if is_single_segment(text):
        return text
    plain = to_gsm7(text)
    return plain if segment_count(plain) < segment_count(text) else text
