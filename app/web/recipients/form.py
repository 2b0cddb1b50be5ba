"""The extra-number form read and checked: the number, the name its owner knows the account holder by, the texts."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _

from app.models import User
from app.models.recipients import CHOOSABLE_TEXTS, Recipient
from app.texts.alert_texts import MAX_KNOWN_AS
from app.texts.languages import DEFAULT_LANGUAGE, LANGUAGES
from app.web.phone.numbers import PhoneNumberError, country_refusal, mobile_number


@dataclass
class RecipientForm:
    phone: str | None = None
    known_as: str = ""
    texts: list[str] = field(default_factory=lambda: list(CHOOSABLE_TEXTS))
    language: str = DEFAULT_LANGUAGE
    errors: dict[str, str] = field(default_factory=dict)


def chosen_texts(values: list[str]) -> list[str]:
    """The ticked texts, in the form's order, unknown ones left out."""
    return [kind for kind in CHOOSABLE_TEXTS if kind in values]


def read_texts(values: list[str], form: RecipientForm) -> None:
    form.texts = chosen_texts(values)
    if not form.texts:
        form.errors["texts"] = _("Choose at least one text for this number, or remove it.")


def read_language(value: str | None, user: User, form: RecipientForm) -> None:
    """The language of their texts: one of ours, exactly as the form offers it; the account's when not sent (a
    form from before the choice existed). Anything else is refused, and the form keeps the account's."""
    if value is None:
        form.language = user.language if user.language in LANGUAGES else DEFAULT_LANGUAGE
    elif value in LANGUAGES:
        form.language = value
    else:
        form.language = user.language if user.language in LANGUAGES else DEFAULT_LANGUAGE
        form.errors["language"] = _("Choose the language of their texts from the list.")


def read_form(posted, region: str, user: User, others: list[Recipient]) -> RecipientForm:
    """The posted form with an error per field; a number is refused when it already gets the account's texts."""
    form = RecipientForm(known_as=" ".join(posted.get("known_as", "").split()))
    read_texts(posted.getlist("texts"), form)
    read_language(posted.get("language"), user, form)
    if not form.known_as or len(form.known_as) > MAX_KNOWN_AS:
        form.errors["known_as"] = _("Type your name as they know you, in at most %(count)s letters.",
                                    count=MAX_KNOWN_AS)
    try:
        form.phone = mobile_number(posted.get("phone", ""), region)
    except PhoneNumberError as error:
        form.errors["phone"] = str(error)
        return form
    refused = country_refusal(form.phone, current_app.config["SMS_COUNTRIES"])
    if refused is not None:
        form.errors["phone"] = refused
    elif form.phone == user.phone:
        form.errors["phone"] = _("That is your own number: it gets our texts already.")
    elif any(other.phone == form.phone for other in others):
        form.errors["phone"] = _("That number is on your list already.")
    return form
