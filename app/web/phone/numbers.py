"""What a typed phone number means: parsed in the chosen country, and refused with a reason unless it takes texts."""

from __future__ import annotations

from collections.abc import Collection

import phonenumbers
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from phonenumbers import NumberParseException, PhoneNumberType
from phonenumbers.geocoder import country_name_for_number

from app.web.i18n import current_language

# Only these can receive texts; US and Canadian numbers cannot be told apart from landlines.
TEXTABLE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
NOT_TEXTABLE = {
    PhoneNumberType.FIXED_LINE: lazy_gettext("a landline"),
    PhoneNumberType.TOLL_FREE: lazy_gettext("a free-phone number"),
    PhoneNumberType.PREMIUM_RATE: lazy_gettext("a premium-rate number"),
    PhoneNumberType.SHARED_COST: lazy_gettext("a shared-cost number"),
    PhoneNumberType.VOIP: lazy_gettext("an internet (VoIP) number"),
    PhoneNumberType.PERSONAL_NUMBER: lazy_gettext("a personal forwarding number"),
    PhoneNumberType.PAGER: lazy_gettext("a pager number"),
    PhoneNumberType.UAN: lazy_gettext("a company switchboard number"),
    PhoneNumberType.VOICEMAIL: lazy_gettext("a voicemail number"),
}


class PhoneNumberError(ValueError):
    """A number we cannot text; the message says why in the user's words."""


def mobile_number(raw: str, region: str) -> str:
    """Parse what the user typed (in their chosen region unless it starts with +) into E.164, or say why not."""
    if not raw.strip():
        raise PhoneNumberError(_("Enter your mobile number."))
    try:
        number = phonenumbers.parse(raw, region.upper())
    except NumberParseException:
        raise PhoneNumberError(_(
            "That does not look like a phone number. Type it with its country code, like %(example)s, or choose "
            "its country.", example=example_number(region)[1])) from None
    if not phonenumbers.is_valid_number(number):
        country = phonenumbers.region_code_for_number(number) or region.upper()
        raise PhoneNumberError(_("That is not a valid number in %(country)s. Check the digits and the country.",
                                 country=region_name(country)))
    kind = phonenumbers.number_type(number)
    if kind not in TEXTABLE:
        described = NOT_TEXTABLE.get(kind) or _("a number that cannot receive texts")
        raise PhoneNumberError(_("That is %(kind)s, which cannot receive texts. Enter a mobile number.",
                                 kind=described))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def country_refusal(e164: str, countries: Collection[str]) -> str | None:
    """Why we will not text this number, if its country is not one of those we text (SMS_COUNTRIES)."""
    country = phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    if country in countries:
        return None
    return _("We can't text numbers in %(country)s yet.",
             country=region_name(country) if country else _("that country"))


def region_name(region: str) -> str:
    """The country's name in the page's language: "Germany", "Deutschland", "Allemagne", "Alemania"."""
    example = phonenumbers.example_number(region)
    name = country_name_for_number(example, current_language()) if example else ""
    return name or region


def example_number(region: str) -> tuple[str, str]:
    """A mobile number of the region that passes `mobile_number`, as dialled at home and with its country code:
    the hint's example must never be refused."""
    example = phonenumbers.example_number_for_type(region.upper(), PhoneNumberType.MOBILE)
    if example is None:
        example = phonenumbers.example_number_for_type("GB", PhoneNumberType.MOBILE)
    assert example is not None  # phonenumbers has a mobile example for GB
    return (phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL),
            phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def in_country(region: str) -> str:
    """ "in the United States", "in France": the region's name as an English sentence says it. The other languages
    put the bare name in their own sentence ("wie man sie in diesem Land wählt (Deutschland)"): their articles and
    prepositions change with each country."""
    name = region_name(region)
    if current_language() != "en":
        return name
    needs_the = name.startswith(("United ", "Netherlands", "Czech", "Dominican", "Philippines", "Bahamas", "Gambia"))
    return f"in the {name}" if needs_the or name.endswith("Islands") else f"in {name}"
