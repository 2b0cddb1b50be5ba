"""How a text travels: GSM-7 (basic set and extension table) or UCS-2, and its segments, at the exact edges."""

import pytest

from app.texts.segments import (
    as_sent,
    encoding,
    gsm7_only,
    is_single_gsm7_segment,
    is_single_segment,
    length,
    segment_count,
    to_gsm7,
)

EURO = "\u20ac"
EMOJI = "\U0001F50B"  # a battery, outside the BMP: two UTF-16 code units


@pytest.mark.parametrize(
    ("text", "how", "units", "segments"),
    [
        pytest.param("x" * 160, "GSM-7", 160, 1, id="160 septets: one segment"),
        pytest.param("x" * 161, "GSM-7", 161, 2, id="161 septets: two"),
        pytest.param("x" * 159 + EURO, "GSM-7", 161, 2, id="159 characters and a euro sign: 161 septets"),
        pytest.param("x" * 158 + EURO, "GSM-7", 160, 1, id="158 characters and a euro sign: 160 septets"),
        pytest.param("^{}\\[~]|" + EURO + "\f", "GSM-7", 20, 1, id="every extension character costs two septets"),
        pytest.param("äöüßñÑÄÖÜéèàùìòÇ£¥§¿¡", "GSM-7", 21, 1, id="GSM-7's own accents cost one"),
        pytest.param("x" * 306, "GSM-7", 306, 2, id="306 septets: two parts of 153"),
        pytest.param("x" * 307, "GSM-7", 307, 3, id="307 septets: three parts"),
        pytest.param("x" * 152 + EURO + "x" * 152, "GSM-7", 306, 3,
                     id="an escape is never split from its character: the euro sign moves to the next part"),
        pytest.param("x" * 151 + EURO + "x" * 153, "GSM-7", 306, 2, id="a euro sign that ends a part fits"),
        pytest.param("á" * 70, "UCS-2", 70, 1, id="70 UCS-2 units: one segment"),
        pytest.param("á" * 71, "UCS-2", 71, 2, id="71 units: two"),
        pytest.param("x" * 68 + EMOJI, "UCS-2", 70, 1, id="an emoji costs two units: 68 and one emoji fit"),
        pytest.param("x" * 69 + EMOJI, "UCS-2", 71, 2, id="69 and one emoji do not"),
        pytest.param("á" * 134, "UCS-2", 134, 2, id="134 units: two parts of 67"),
        pytest.param("á" * 135, "UCS-2", 135, 3, id="135 units: three"),
        pytest.param("x" * 66 + EMOJI + "x" * 66, "UCS-2", 134, 3, id="an emoji is never split across two parts"),
        pytest.param("Batería", "UCS-2", 7, 1, id="one character GSM-7 lacks makes the whole text UCS-2"),
        pytest.param("", "GSM-7", 0, 1, id="an empty text"),
    ],
)
def test_encoding_and_segments(text, how, units, segments):
    assert encoding(text) == how
    assert length(text) == units
    assert segment_count(text) == segments
    assert is_single_segment(text) is (segments == 1)


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        pytest.param("Batería vacía: cárgalo", "Bateria vacia: cargalo", id="Spanish á í ó ú fold"),
        pytest.param("Rechargez-le bientôt, ça s'arrêtera", "Rechargez-le bientot, ca s'arretera",
                     id="French ê â î ô û ç fold"),
        pytest.param("é è à ù Ç ä ö ü ñ ß ¿¡", "é è à ù Ç ä ö ü ñ ß ¿¡", id="GSM-7's own letters stay"),
        pytest.param("Сергей", "Sergey", id="another script written in Latin letters"),
        pytest.param("Zoë \U0001F600 Łukasz", "Zoe Lukasz", id="emoji dropped"),
        pytest.param("«It’s» – ok…", "\"It's\" - ok...", id="typographic marks made plain"),
    ],
)
def test_to_gsm7(written, plain):
    assert to_gsm7(written) == plain
    assert encoding(to_gsm7(written)) == "GSM-7"


def test_a_name_keeps_to_the_basic_set_so_each_letter_costs_one_septet():
    assert gsm7_only("Watch [Blue] {€}") == "Watch (Blue) (EUR)"
    assert gsm7_only("  Pixel\u00a0 Watch  ") == "Pixel Watch"


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        pytest.param("Batería ahora: Charge 6 80%.", "Batería ahora: Charge 6 80%.",
                     id="one UCS-2 segment: kept as written"),
        pytest.param("Batería " + "x" * 62, "Batería " + "x" * 62, id="70 units: kept"),
        pytest.param("Batería " + "x" * 63, "Bateria " + "x" * 63, id="71 units: sent in GSM-7 letters, one segment"),
        pytest.param("x" * 170, "x" * 170, id="GSM-7 over a segment stays as it is"),
        pytest.param("Сергей " + "x" * 70, "Sergey " + "x" * 70, id="another script over a segment: Latin letters"),
    ],
)
def test_a_text_goes_as_written_when_that_costs_one_segment_else_in_gsm7_letters(text, sent):
    assert as_sent(text) == sent


@pytest.mark.parametrize(
    ("text", "single"),
    [
        pytest.param("x" * 160, True, id="160 plain characters fit"),
        pytest.param("x" * 161, False, id="161 characters take two segments"),
        pytest.param("Your Charge 6 is at 18%. £ and é are GSM-7.", True, id="GSM-7 accents and pound sign fit"),
        pytest.param("It\u2019s low", False, id="a curly quote forces UCS-2"),
        pytest.param("Low \U0001F50B", False, id="an emoji forces UCS-2"),
        pytest.param("5 \u20ac", True, id="the euro sign is GSM-7 through the extension table"),
        pytest.param("a [b]", True, id="brackets are GSM-7 through the extension table"),
        pytest.param("x" * 159 + "\u20ac", False, id="159 characters and a euro sign are 161 septets"),
        pytest.param("", True, id="an empty text fits"),
    ],
)
def test_is_single_gsm7_segment(text, single):
    assert is_single_gsm7_segment(text) is single
