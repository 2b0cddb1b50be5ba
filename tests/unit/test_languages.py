"""Which language a page and a text speak: the stored choice, else the browser's most wanted one we speak."""

from __future__ import annotations

import pytest

from app.texts.languages import DEFAULT_LANGUAGE, LANGUAGES, best_language, supported


@pytest.mark.parametrize(("code", "language"), [
    ("de", "de"), ("de-AT", "de"), ("fr_CH", "fr"), ("ES-419", "es"), (" en-GB ", "en"),
    ("pt-BR", None), ("", None), (None, None), ("d", None), ("deu", None),
])
def test_a_region_or_script_still_finds_its_language(code, language):
    assert supported(code) == language


def test_a_stored_choice_wins_over_what_the_browser_asks_for():
    assert best_language("es", [("de", 1.0), ("fr", 0.9)]) == "es"


def test_the_browser_s_most_wanted_language_we_speak_is_used():
    assert best_language(None, [("ja", 1.0), ("fr-CA", 0.8), ("de", 0.7)]) == "fr"


def test_quality_decides_not_the_order_of_the_header():
    assert best_language(None, [("de", 0.5), ("es", 0.8)]) == "es"


def test_equal_qualities_keep_the_header_s_order():
    assert best_language(None, [("fr", 0.8), ("de", 0.8)]) == "fr"


def test_a_quality_of_zero_means_not_this_language():
    assert best_language(None, [("de", 0.0)]) == DEFAULT_LANGUAGE
    assert best_language(None, [("de", 0.001)]) == "de"


def test_a_choice_we_do_not_speak_falls_back_to_the_browser_then_english():
    assert best_language("pt", [("de", 1.0)]) == "de"
    assert best_language("pt", []) == DEFAULT_LANGUAGE


def test_the_four_languages_are_named_in_their_own_words():
    assert LANGUAGES == {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
