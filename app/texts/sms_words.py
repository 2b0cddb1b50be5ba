"""The words of a text in its reader's language, outside any request: the `texts` catalogs, loaded once a language.

Workers have no request, so Flask-Babel cannot say the language: each text names it (the account's for its own
number, the extra number's for that number). The English is the code's own (`sms_text("…")` marks it for
catalogs.py); German, French and Spanish come from `app/translations/<lang>/LC_MESSAGES/texts.mo`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from app.texts.languages import DEFAULT_LANGUAGE, LANGUAGES, supported

CATALOGS = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "texts"
FRENCH_VOWELS = frozenset("aeiouyàâéèêëîïôûù")


def sms_text(message: str) -> str:
    """Mark the English words of a text for the `texts` catalogs; they are translated when the text is written."""
    return message


def sms_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a text's singular and plural English words for the `texts` catalogs."""
    return singular, plural


def language_of(code: str | None) -> str:
    """A language we write texts in: the stored one when we speak it, else English."""
    return supported(code) or DEFAULT_LANGUAGE


@cache
def catalog(language: str) -> NullTranslations:
    """The texts' catalog for one language, read from disk once; English is the code's own words."""
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return NullTranslations()
    return Translations.load(str(CATALOGS), [language], DOMAIN)


def words(message: str, language: str | None) -> str:
    """The words of `message` (its English msgid) in `language`."""
    return catalog(language_of(language)).gettext(message)


def filled(message: str, language: str | None, **values: object) -> str:
    """The words of `message` in `language`, filled; French elides "de" before a name that opens with a vowel
    ("le Charge 6 d'Anne"), which a catalog cannot know."""
    written = words(message, language)
    if language_of(language) == "fr":
        for name, value in values.items():
            if str(value)[:1].lower() in FRENCH_VOWELS:
                written = written.replace(f"de {{{name}}}", f"d'{{{name}}}")
    return written.format(**values)

