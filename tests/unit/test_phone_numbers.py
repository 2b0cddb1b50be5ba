"""Reading a typed phone number: mobiles of several countries become E.164; what cannot get texts is refused."""

from __future__ import annotations

import phonenumbers
import pytest

from app.environment import SMS_COUNTRIES
from app.web.phone.numbers import PhoneNumberError, example_number, in_country, mobile_number


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("07400 123456", "GB", "+447400123456"),
        ("(201) 555-0123", "US", "+12015550123"),
        ("01512 3456789", "DE", "+4915123456789"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("0412 345 678", "AU", "+61412345678"),
        ("98765 43210", "IN", "+919876543210"),
        ("090-1234-5678", "JP", "+819012345678"),
        ("+1 416 555 0123", "GB", "+14165550123"),  # a country code beats the chosen region
    ],
)
def test_mobile_numbers_of_several_countries_are_stored_as_e164(typed, region, e164):
    assert mobile_number(typed, region) == e164


@pytest.mark.parametrize(
    ("typed", "region", "why"),
    [
        ("", "GB", "Enter your mobile number"),
        ("call me", "GB", "does not look like a phone number"),
        ("12345", "GB", "not a valid number in United Kingdom"),
        ("0412 345 678", "GB", "not a valid number in United Kingdom"),  # an Australian mobile, wrong country
        ("09 123 456", "FR", "not a valid number in France"),
        ("020 7946 0000", "GB", "a landline, which cannot receive texts"),
        ("030 123456", "DE", "a landline, which cannot receive texts"),
        ("0800 123 4567", "GB", "a free-phone number, which cannot receive texts"),
        ("0900 123 4567", "GB", "a premium-rate number"),
        ("+33 1 23 45 67 89", "US", "a landline"),
    ],
)
def test_numbers_that_cannot_get_texts_are_refused_with_the_reason(typed, region, why):
    with pytest.raises(PhoneNumberError, match=why):
        mobile_number(typed, region)


@pytest.mark.parametrize("region", SMS_COUNTRIES)
def test_the_hints_examples_are_numbers_we_accept(region):
    at_home, international = example_number(region)

    assert mobile_number(at_home, region) == mobile_number(international, "GB")
    assert phonenumbers.region_code_for_number(phonenumbers.parse(international)) == region


@pytest.mark.parametrize("region, said", [("US", "in the United States"), ("GB", "in the United Kingdom"),
                                          ("FR", "in France"), ("NL", "in the Netherlands")])
def test_a_country_is_named_as_a_sentence_says_it(region, said):
    assert in_country(region) == said
