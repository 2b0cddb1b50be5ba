"""Pages in the reader's language and times in their zone: Flask-Babel's selectors and where the catalogs live.

The language is the account's once signed in (chosen at sign-up from what the visitor was reading, changeable in
the settings); before that, the visitor's choice from the language switch (a cookie), else Accept-Language.
Each feature package keeps the translations of its own pages in its `translations/` folder beside its templates;
`app/translations` holds the shared ones (the layout, error pages) and the texts' own domain (`texts`).
"""

from __future__ import annotations

from pathlib import Path

from babel import Locale
from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale, refresh
from flask_login import current_user

from app.texts.languages import DEFAULT_LANGUAGE, LANGUAGES, best_language, supported

LANGUAGE_COOKIE = "language"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
# Our English is British (a mobile number, the 24-hour clock, "Mon 30 Nov"): its dates are en_GB's.
DATE_LOCALES = {"en": "en_GB"}
APP_ROOT = Path(__file__).resolve().parent.parent

babel = Babel()


def catalog_homes() -> list[Path]:
    """Every `translations/` folder of the app: the shared one first, then each feature package's."""
    shared = APP_ROOT / "translations"
    return [shared, *sorted(path for path in APP_ROOT.glob("web/*/translations") if path.is_dir())]


def chosen_language() -> str | None:
    """The language this visitor chose: the account's when signed in, else the switch's cookie (None outside a
    request, as when a test or a job reads a lazy string)."""
    if not has_request_context():
        return None
    if current_user and current_user.is_authenticated:
        return current_user.language
    return supported(request.cookies.get(LANGUAGE_COOKIE))


def page_language() -> str:
    """The language of this request's page (Flask-Babel's locale selector); English outside a request."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    return best_language(chosen_language(), request.accept_languages)


def current_language() -> str:
    """The language Flask-Babel chose for this request (`page_language`, asked once per request); English
    outside a request."""
    locale = get_locale()
    return locale.language if locale else DEFAULT_LANGUAGE


def page_time_zone() -> str:
    """The signed-in account's zone for dates and times on the pages; UTC before sign-in."""
    if current_user and current_user.is_authenticated:
        return current_user.time_zone
    return "UTC"


def date_locale() -> Locale:
    """The Babel locale that writes this page's dates and times: the page's language, British for English."""
    language = current_language()
    return Locale.parse(DATE_LOCALES.get(language, language))


def template_globals() -> dict[str, object]:
    return {"languages": LANGUAGES, "page_language": current_language()}


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(str(path) for path in catalog_homes()))
    babel.init_app(app, locale_selector=page_language, timezone_selector=page_time_zone)
    # Each request chooses afresh: Flask-Babel keeps its choice on `g`, which outlives a request wherever an app
    # context was already pushed around it (a test, a CLI command).
    app.before_request(refresh)
    # {% trans %} blocks are read with their whitespace folded, as catalogs.py extracts them.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.context_processor(template_globals)
