"""What fits in one SMS segment: the GSM 03.38 alphabet and the 160-character limit, so no alert costs two."""

from __future__ import annotations

SMS_SEGMENT_LENGTH = 160

# GSM 03.38 basic character set (without the escape to the extension table): one septet each.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
TYPOGRAPHIC_TO_GSM7 = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def is_single_gsm7_segment(text: str) -> bool:
    """Say whether a text goes out as one plain SMS, so a battery alert never costs two segments."""
    return len(text) <= SMS_SEGMENT_LENGTH and all(char in GSM7_BASIC for char in text)


def gsm7_only(text: str) -> str:
    """Typographic quotes and dashes made plain, anything else outside GSM-7 dropped, spaces folded."""
    plain = text.translate(TYPOGRAPHIC_TO_GSM7)
    return " ".join("".join(char for char in plain if char in GSM7_BASIC).split())
