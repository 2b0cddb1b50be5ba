"""The pages around signing up, the phone step, the extra numbers and one's data, in German, French and Spanish:
every word from the catalogs (no English left), the messages and errors in the page's language, times in the
reader's zone, and the language chosen for an extra number's texts stored and checked.

The language comes from the browser (Accept-Language) before sign-in and from the account after it."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import PhoneVerification, utcnow
from app.models.recipients import Recipient
from tests.support.factories import make_user
from tests.support.languages import english_left, visible_text

LANGUAGES = ("de", "fr", "es")
HTML = {"Accept": "text/html"}


def lang_of(html: str) -> str:
    return re.search(r'<html lang="([a-z]+)"', html).group(1)


def without_sample_text(html: str) -> str:
    """The landing page without its sample SMS: a text's words are the texts' catalog, not the page's."""
    sample = re.search(r'<p class="bubble" aria-hidden="true">(.*?)</p>', html, re.S)
    return html.replace(sample.group(1), "") if sample else html


def speaks(html: str, lang: str, sentence: str) -> None:
    """The page is in `lang`, says `sentence` (as a reader sees it), and keeps no English from the catalogs."""
    assert lang_of(html) == lang
    assert sentence in visible_text(html), sentence
    assert english_left(without_sample_text(html), lang) == []


@pytest.fixture
def signed_in(app, monkeypatch):
    """A browser signed in to an account speaking `language` (CSRF is tested elsewhere)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)

    def browser(language: str, **fields):
        user = make_user(language=language, time_zone="Europe/Berlin", display_name="Lena Weber", **fields)
        client = app.test_client(user=user)
        client.user = user
        return client
    return browser


VISITOR_PAGES = {
    # page, status, a sentence in each language
    "/": (200, {"de": "Eine SMS, bevor dein Tracker ausgeht.", "fr": "Un SMS avant que votre appareil ne s'éteigne.",
                "es": "Un SMS antes de que tu dispositivo se apague."}),
    "/help": (200, {"de": "STOP geht auch", "fr": "ARRÊT fonctionne aussi", "es": "También vale PARAR o STOP"}),
    "/privacy": (200, {"de": "Was wir speichern, und warum", "fr": "Ce que nous gardons, et pourquoi",
                       "es": "Qué guardamos y por qué"}),
    "/no-such-page": (404, {"de": "Diese Seite finden wir nicht", "fr": "Nous ne trouvons pas cette page",
                            "es": "No encontramos esa página"}),
    "/login/google/missing-permission": (403, {"de": "Eine Berechtigung fehlt", "fr": "Il manque une autorisation",
                                               "es": "Falta un permiso"}),
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", VISITOR_PAGES)
def test_a_visitor_reads_each_page_in_their_browser_s_language(client, path, lang):
    status, sentences = VISITOR_PAGES[path]

    answer = client.get(path, headers={**HTML, "Accept-Language": f"{lang}, en;q=0.5"})

    assert answer.status_code == status
    speaks(answer.get_data(as_text=True), lang, sentences[lang])


@pytest.mark.parametrize("lang, words, also", [("de", ("AKKU", "STOPP", "START", "HILFE"), "STOP geht auch"),
                                               ("fr", ("BATTERIE", "STOP", "START", "AIDE"), "ARRÊT fonctionne aussi"),
                                               ("es", ("BATERIA", "BAJA", "ALTA", "AYUDA"), "También vale PARAR o STOP")])
def test_the_help_page_lists_the_words_people_text_us_in_their_language(client, lang, words, also):
    page = client.get("/help", headers={"Accept-Language": lang}).get_data(as_text=True)

    assert re.findall(r"<dt>([^<]+)</dt>", page) == list(words)
    assert also in page
    footer = page[page.index('<footer'):]
    assert f"{words[1]} " in footer and f"{words[3]} " in footer


def test_english_pages_read_as_before(client):
    page = client.get("/help").get_data(as_text=True)

    assert lang_of(page) == "en"
    assert re.findall(r"<dt>([^<]+)</dt>", page) == ["BATTERY", "STOP", "START", "HELP"]
    assert "Reply STOP to any text to end them, HELP for help." in page
    assert "from your Google account" in page


@pytest.mark.parametrize("lang, sentence", [("de", "Bei uns ist etwas schiefgelaufen"),
                                            ("fr", "Un problème est survenu de notre côté"),
                                            ("es", "Algo falló por nuestra parte")])
def test_the_server_error_page_needs_no_database_and_speaks_the_browser_s_language(app, make_app, lang, sentence):
    user = make_user(language="en")
    broken = make_app({"PROPAGATE_EXCEPTIONS": False}, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")

    answer = broken.test_client(user=user).get("/dashboard", headers={**HTML, "Accept-Language": lang})

    assert answer.status_code == 500
    speaks(answer.get_data(as_text=True), lang, sentence)


@pytest.mark.parametrize("lang, sentence, error", [
    ("de", "Deine Handynummer", "Das ist eine Festnetznummer, und die kann keine SMS empfangen."),
    ("fr", "Votre numéro de portable", "C'est un numéro fixe, qui ne peut pas recevoir de SMS."),
    ("es", "Tu número de móvil", "Es un número fijo, que no puede recibir SMS."),
])
def test_the_phone_page_and_its_errors_speak_the_account_s_language(signed_in, lang, sentence, error):
    browser = signed_in(lang, phone=None)

    page = browser.get("/phone").get_data(as_text=True)
    speaks(page, lang, sentence)
    refused = browser.post("/phone", data={"phone": "020 7946 0000", "region": "GB"})

    assert refused.status_code == 400
    speaks(refused.get_data(as_text=True), lang, error)
    assert 'value="020 7946 0000"' in refused.get_data(as_text=True)


COUNTRY = {"de": "Vereinigtes Königreich", "fr": "Royaume-Uni", "es": "Reino Unido"}
WORKS_UNTIL = {"de": "Er gilt bis {time} Uhr.", "fr": "Il est valable jusqu'à {time}.", "es": "Vale hasta las {time}."}
WRONG = {"de": "Dieser Code stimmt nicht. Du hast noch 4 Versuche.",
         "fr": "Ce code n'est pas le bon. Il vous reste 4 essais.",
         "es": "Ese código no es correcto. Te quedan 4 intentos."}
NEW_CODE = {"de": "Wir haben dir einen neuen Code geschickt.", "fr": "Nous vous avons envoyé un nouveau code.",
            "es": "Te enviamos un código nuevo."}
WAIT = {"de": "Einen neuen kannst du in", "fr": "Vous pourrez en demander un autre dans",
        "es": "Podrás pedir otro dentro de"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_code_page_says_until_when_the_code_works_on_the_reader_s_clock_and_in_their_words(signed_in, lang):
    browser = signed_in(lang, phone=None)
    form = browser.get("/phone").get_data(as_text=True)
    assert f">{COUNTRY[lang]}</option>" in form

    assert browser.post("/phone", data={"phone": "07400 123456", "region": "GB"}).status_code == 302
    expires = (utcnow() + timedelta(minutes=9)).replace(second=0, microsecond=0)
    db.session.execute(update(PhoneVerification).values(expires_at=expires))
    db.session.commit()
    berlin = f"{expires.astimezone(ZoneInfo('Europe/Berlin')):%H:%M}"
    assert berlin != f"{expires:%H:%M}"  # the reader's clock, not the server's

    speaks(browser.get("/phone/code").get_data(as_text=True), lang, WORKS_UNTIL[lang].format(time=berlin))

    wrong = browser.post("/phone/code", data={"code": "000000"})
    assert wrong.status_code == 400
    speaks(wrong.get_data(as_text=True), lang, WRONG[lang])

    again = browser.post("/phone/code", data={"resend": "1"})
    assert again.status_code == 429
    speaks(again.get_data(as_text=True), lang, WAIT[lang])

    db.session.execute(update(PhoneVerification).values(last_sent_at=utcnow() - timedelta(seconds=61)))
    db.session.commit()
    sent = browser.post("/phone/code", data={"resend": "1"}, follow_redirects=True)
    speaks(sent.get_data(as_text=True), lang, NEW_CODE[lang])


@pytest.mark.parametrize("lang, flash", [
    ("de", "Du bist in jedem Browser und auf jedem Handy abgemeldet."),
    ("fr", "Vous êtes déconnecté sur tous les navigateurs et téléphones."),
    ("es", "Has cerrado sesión en todos los navegadores y teléfonos."),
])
def test_signing_out_says_so_in_the_account_s_language_and_the_next_pages_keep_it(signed_in, lang, flash):
    browser = signed_in(lang)

    assert browser.post("/logout").status_code == 302
    landing = browser.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)

    speaks(landing, lang, flash)


@pytest.mark.parametrize("lang, word, error", [("de", "löschen", "Gib zur Bestätigung das Wort löschen ein."),
                                               ("fr", "supprimer", "Tapez le mot supprimer pour confirmer."),
                                               ("es", "eliminar", "Escribe la palabra eliminar para confirmar.")])
def test_deleting_asks_for_the_word_in_the_account_s_language_and_takes_the_english_one_too(
        signed_in, lang, word, error):
    browser = signed_in(lang)
    page = browser.get("/account/delete").get_data(as_text=True)
    speaks(page, lang, f" {word} ")

    refused = browser.post("/account/delete", data={"confirm": "yes"})
    assert refused.status_code == 400
    speaks(refused.get_data(as_text=True), lang, error)

    assert browser.post("/account/delete", data={"confirm": word.capitalize() + " "}).status_code == 302
    other = signed_in(lang)
    assert other.post("/account/delete", data={"confirm": "delete"}).status_code == 302


def add_number(browser, **fields):
    data = {"phone": "07400 123456", "region": "GB", "known_as": "Lena", "texts": ["low", "empty"], **fields}
    return browser.post("/people/new", data=data)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_extra_number_s_language_is_offered_in_each_language_s_own_name_and_defaults_to_the_account_s(
        signed_in, lang):
    browser = signed_in(lang)
    page = browser.get("/people/new").get_data(as_text=True)

    speaks(page, lang, {"de": "Sprache ihrer SMS", "fr": "Langue de ses SMS", "es": "Idioma de sus SMS"}[lang])
    offered = re.findall(r'<option value="(\w+)" lang="\w+"( selected)?>([^<]+)</option>', page)
    assert [(code, name) for code, _, name in offered] == [
        ("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
    assert [code for code, selected, _ in offered if selected] == [lang]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_extra_number_gets_the_language_chosen_for_it_shown_on_its_pages(signed_in, lang):
    browser = signed_in(lang)
    chosen = "en" if lang != "en" else "de"

    assert add_number(browser, language=chosen).status_code == 302
    recipient = db.session.scalars(select(Recipient)).one()
    assert recipient.language == chosen

    code_page = browser.get(f"/people/{recipient.id}/code").get_data(as_text=True)
    speaks(code_page, lang, {"de": "Gib den Code ein, den sie bekommen haben", "fr": "Saisissez le code qu'elle a reçu",
                             "es": "Escribe el código que recibió"}[lang])
    manage = browser.get(f"/people/{recipient.id}").get_data(as_text=True)
    speaks(manage, lang, {"de": "Ihre SMS sind auf Englisch.", "fr": "Ses SMS sont en anglais.",
                          "es": "Sus SMS están en inglés."}[lang])
    dashboard = browser.get("/dashboard").get_data(as_text=True)
    section = re.search(r'<section aria-labelledby="recipients-title".*?</section>', dashboard, re.S).group(0)
    assert english_left(section, lang) == []
    assert {"de": "SMS auf Englisch", "fr": "SMS en anglais", "es": "SMS en inglés"}[lang] in section


@pytest.mark.parametrize("lang, error", [("de", "Wähle die Sprache ihrer SMS aus der Liste."),
                                         ("fr", "Choisissez la langue de ses SMS dans la liste."),
                                         ("es", "Elige el idioma de sus SMS en la lista.")])
def test_a_language_we_do_not_speak_is_refused_clearly_and_nothing_typed_is_lost(signed_in, lang, error):
    browser = signed_in(lang)

    for bad in ("pt", "de-AT", "", "EN"):
        answer = add_number(browser, language=bad, known_as="Mama Lena")
        page = answer.get_data(as_text=True)
        assert answer.status_code == 400, bad
        speaks(page, lang, error)
        assert 'value="07400 123456"' in page and 'value="Mama Lena"' in page
        assert 'value="low" checked' in page and 'value="empty" checked' in page and 'value="silent" checked' not in page
        assert f'value="{lang}" lang="{lang}" selected' in page
    assert db.session.scalars(select(Recipient)).all() == []


def test_an_english_account_s_extra_number_texts_in_english_unless_another_is_chosen(signed_in):
    browser = signed_in("en")
    assert 'value="en" lang="en" selected' in browser.get("/people/new").get_data(as_text=True)

    assert add_number(browser).status_code == 302
    assert add_number(browser, phone="07400 123457", language="es").status_code == 302

    assert [r.language for r in db.session.scalars(select(Recipient).order_by(Recipient.id))] == ["en", "es"]


@pytest.mark.parametrize("lang, flash", [("de", "ist entfernt und bekommt keine SMS mehr von uns."),
                                         ("fr", "est supprimé et ne recevra plus de SMS de notre part."),
                                         ("es", "se ha quitado y ya no recibirá SMS nuestros.")])
def test_the_extra_number_pages_flash_in_the_account_s_language(signed_in, lang, flash):
    browser = signed_in(lang)
    add_number(browser)
    recipient = db.session.scalars(select(Recipient)).one()

    removed = browser.post(f"/people/{recipient.id}/remove", follow_redirects=True).get_data(as_text=True)

    assert flash in removed


@pytest.mark.parametrize("lang, flash", [("de", "Google ist getrennt"), ("fr", "Google est déconnecté"),
                                         ("es", "Google está desconectado")])
def test_disconnecting_says_so_in_the_account_s_language(signed_in, lang, flash):
    browser = signed_in(lang)

    page = browser.post("/settings/disconnect", follow_redirects=True).get_data(as_text=True)

    assert flash in page


@pytest.mark.parametrize("lang, message", [("de", "Bitte verbinde zuerst dein Konto."),
                                           ("fr", "Veuillez d'abord connecter votre compte."),
                                           ("es", "Primero conecta tu cuenta.")])
def test_a_page_that_needs_an_account_sends_a_visitor_to_connect_one_in_their_language(client, lang, message):
    landing = client.get("/phone", headers={"Accept-Language": lang}, follow_redirects=True)

    speaks(landing.get_data(as_text=True), lang, message)


@pytest.mark.parametrize(("lang", "sample"), [
    ("en", "Battery low: your Charge 6 is at 15%."),
    ("de", "Akku schwach: dein Charge 6 ist bei 15 %."),
    ("fr", "Batterie faible : votre Charge 6 est à 15 %."),
    ("es", "Bateria baja: tu Charge 6 esta al 15 %."),
])
def test_the_landing_page_shows_the_sample_text_as_it_would_reach_a_phone_in_the_reader_s_language(client, lang, sample):
    html = client.get("/", headers={"Accept-Language": lang}).get_data(as_text=True)
    bubble = re.search(r'<p class="bubble" aria-hidden="true">(.*?)</p>', html, re.S).group(1)
    assert bubble.startswith(sample)
