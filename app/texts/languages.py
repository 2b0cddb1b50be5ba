"""The languages we speak, pure: which ones, their own names, and the one to use for a request or a person.

English is the language the code is written in (the msgids); German, French and Spanish come from the catalogs
(`catalogs.py` keeps them complete). A stored choice always wins over the browser's Accept-Language.
"""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_LANGUAGE = "en"
# Each language by its own name, as a switch shows it to someone who cannot read the page's language.
LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
TRANSLATED = tuple(code for code in LANGUAGES if code != DEFAULT_LANGUAGE)


def supported(code: str | None) -> str | None:
    """The language code we speak for `code` ("de", "de-AT", "DE_ch" → "de"), or None."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def best_language(chosen: str | None, accepted: Iterable[tuple[str, float]]) -> str:
    """The language to speak: the stored choice, else the browser's most wanted one we speak, else English.

    `accepted` is Accept-Language as (tag, quality) pairs, in any order; a quality of 0 means "not this one".
    """
    if language := supported(chosen):
        return language
    ranked = sorted(((quality, -position, tag) for position, (tag, quality) in enumerate(accepted)), reverse=True)
    for quality, _, tag in ranked:
        if quality > 0 and (language := supported(tag)):
            return language
    return DEFAULT_LANGUAGE
