"""The dashboard and the settings page in German, French and Spanish: every state in the account's language with no
English left, dates and times as that language writes them on the account's clock, and the language chosen in the
settings speaking from the next page on."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import BatteryReading, ConnectionState, MessageStatus, OutgoingMessage, User, utcnow
from tests.support.factories import make_device, make_user
from tests.support.languages import english_left

LANGUAGES = ("de", "fr", "es")
# Far ahead, so a pause until then is still on: Tuesday 3 December 2030, 20:00 in Berlin.
PAUSE_ENDS = datetime(2030, 12, 3, 19, 0, tzinfo=UTC)
ZONE = "Europe/Berlin"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def page_language(html: str) -> str:
    return re.search(r'<html lang="([a-z]+)"', html).group(1)


def english_in_main(html: str, language: str) -> list[str]:
    """English left in the page's own part (<main>); the shared layout around it has its own tests."""
    return english_left(re.search(r"<main.*</main>", html, re.S).group(0), language)


def text(user: User, kind: str, body: str, status: MessageStatus, **fields) -> None:
    db.session.add(OutgoingMessage(user_id=user.id, idempotency_key=f"{kind}:{user.id}:{body}", kind=kind, to=user.phone,
                                   body=body, status=status, **fields))
    db.session.commit()


def trackers_in_every_state(user: User) -> None:
    """Empty, low, silent, fine, a forecast, a muted one and a scale we do not text about, with a week's readings."""
    now = utcnow()
    make_device(user, "Pixel Watch 3", battery_level=0)
    make_device(user, "Sense 2", battery_level=70, last_sync_at=now - timedelta(days=3, hours=1))
    make_device(user, "Aria", battery_level=80, device_type="SCALE")
    make_device(user, None, battery_status="Medium", device_type="WATCH", muted=True)
    low = make_device(user, "Charge 6", battery_level=15, battery_status="Low")
    for hours in range(0, 30):
        db.session.add(BatteryReading(device_id=low.id, read_at=now - timedelta(hours=hours), battery_level=15 + hours))
    db.session.commit()
    text(user, "low", "Charge 6: 15 %", MessageStatus.DELIVERED, created_at=now - timedelta(hours=3))
    text(user, "empty", "Pixel Watch 3: 0 %", MessageStatus.FAILED, created_at=now - timedelta(hours=2))
    text(user, "silent", "Sense 2 …", MessageStatus.QUEUED, created_at=now - timedelta(hours=1),
         send_after=now + timedelta(hours=2))
    text(user, "opt_out", "STOP", MessageStatus.DELIVERED, created_at=now - timedelta(minutes=5))


# Each state of the dashboard: how to get there, and a sentence of it in German, French and Spanish.
STATES = {
    "reading for the first time": (
        lambda user: None,
        {"de": "Wir lesen dein Google-Konto zum ersten Mal", "fr": "Nous lisons votre compte Google pour la première",
         "es": "Estamos leyendo tu cuenta de Google por primera vez"}),
    "no tracker on the account": (
        lambda user: setattr(user, "last_synced_at", utcnow() - timedelta(hours=3)),
        {"de": "Kein Tracker in deinem Google-Konto", "fr": "Aucun appareil sur votre compte Google",
         "es": "No hay dispositivos en tu cuenta de Google"}),
    "disconnected": (
        lambda user: setattr(user, "connection_state", ConnectionState.DISCONNECTED),
        {"de": "Du hast Google getrennt", "fr": "Vous avez déconnecté Google", "es": "Desconectaste Google"}),
    "needs reconnecting": (
        lambda user: setattr(user, "connection_state", ConnectionState.NEEDS_RECONNECT),
        {"de": "Wir können deine Tracker nicht mehr bei Google lesen",
         "fr": "Nous ne pouvons plus lire vos appareils sur Google",
         "es": "Ya no podemos leer tus dispositivos en Google"}),
    "stopped": (
        lambda user: setattr(user, "opted_out_at", utcnow()),
        {"de": "Du hast STOPP geantwortet", "fr": "Vous avez répondu STOP", "es": "Respondiste BAJA"}),
    "failing": (
        lambda user: setattr(user, "phone_failed_at", utcnow()),
        {"de": "kommen nicht an", "fr": "n’arrivent pas", "es": "no llegan"}),
    "paused until resumed": (
        lambda user: setattr(user, "paused", True),
        {"de": "Benachrichtigungen sind pausiert:", "fr": "Les alertes sont en pause :",
         "es": "Los avisos están en pausa:"}),
    "unverified phone": (
        lambda user: setattr(user, "phone_verified_at", None),
        {"de": "Bestätige dein Handy", "fr": "Vérifiez votre téléphone", "es": "Verifica tu móvil"}),
    "trackers low, silent and fine": (
        trackers_in_every_state,
        {"de": "Seit 3 Tagen nicht synchronisiert", "fr": "Pas synchronisé depuis 3 jours",
         "es": "Sin sincronizar desde hace 3 días"}),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("state", STATES)
def test_each_state_of_the_dashboard_is_in_the_accounts_language_with_no_english_left(app, state, language):
    user = make_user(language=language, time_zone=ZONE)
    arrange, said = STATES[state]
    arrange(user)
    db.session.commit()

    page = app.test_client(user=user).get("/dashboard").get_data(as_text=True)

    assert page_language(page) == language
    assert english_in_main(page, language) == []
    assert said[language] in page


@pytest.mark.parametrize(("language", "banner", "radio"), [
    ("de", "Benachrichtigungen sind pausiert bis Di., 3. Dez., 20:00", "Pausiert bis Di., 3. Dez., 20:00"),
    ("fr", "Les alertes sont en pause jusqu’au mar. 3 déc., 20:00", "En pause jusqu’au mar. 3 déc., 20:00"),
    ("es", "Los avisos están en pausa hasta el mar, 3 dic, 20:00", "En pausa hasta el mar, 3 dic, 20:00"),
])
def test_a_timed_pause_ends_on_the_accounts_clock_as_its_language_writes_it(app, language, banner, radio):
    user = make_user(language=language, time_zone=ZONE, paused_until=PAUSE_ENDS)
    client = app.test_client(user=user)

    dashboard = client.get("/dashboard").get_data(as_text=True)
    settings = client.get("/settings").get_data(as_text=True)

    assert banner in dashboard and english_in_main(dashboard, language) == []
    assert radio in settings and english_in_main(settings, language) == []


@pytest.mark.parametrize(("language", "synced", "ago", "forecast", "confirmed"), [
    ("de", "Zuletzt synchronisiert:", "vor 3 Stunden", "Noch etwa 2 Tage", "Nummer bestätigt am 1. Dez."),
    ("fr", "Dernière synchronisation :", "il y a 3 heures", "Encore environ 2 jours", "Numéro confirmé le 1 déc."),
    ("es", "Última sincronización:", "hace 3 horas", "Quedan unos 2 días", "Número confirmado el 1 dic"),
])
def test_times_on_the_cards_and_the_texts_are_babels_in_the_accounts_zone(
        app, language, synced, ago, forecast, confirmed):
    # Confirmed at 23:30 in London on 30 November: already 1 December in Tokyo, the account's zone.
    user = make_user(language=language, time_zone="Asia/Tokyo")
    user.phone_verified_at = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    now = utcnow()
    device = make_device(user, "Charge 6", battery_level=48, last_sync_at=now - timedelta(hours=3, minutes=5))
    for hour in range(0, 28):
        db.session.add(BatteryReading(device_id=device.id, read_at=now - timedelta(hours=3 + hour),
                                      battery_level=48 + hour))
    db.session.commit()

    page = app.test_client(user=user).get("/dashboard").get_data(as_text=True)

    assert f"{synced} <time" in page and f"data-ago>{ago}</time>" in page
    assert forecast in page
    assert confirmed in page


def test_the_live_dashboard_gets_its_words_in_the_pages_language(app):
    user = make_user(language="de")
    page = app.test_client(user=user).get("/dashboard").get_data(as_text=True)
    words = re.search(r'<div id="live-words" hidden(.*?)></div>', page, re.S).group(1)
    assert 'data-updated-at="Aktualisiert um {time}."' in words
    assert 'data-is-now-state="{name} ist jetzt bei {level}, {state}."' in words
    assert 'data-just-now="gerade eben"' in words


@pytest.mark.parametrize(("language", "heading", "error"), [
    ("de", "Einstellungen", "Wähle eine ganze Zahl von 10 bis 50."),
    ("fr", "Réglages", "Choisissez un nombre entier de 10 à 50."),
    ("es", "Ajustes", "Elige un número entero del 10 al 50."),
])
def test_the_settings_page_and_its_errors_are_in_the_accounts_language(app, no_csrf, language, heading, error):
    user = make_user(language=language, time_zone=ZONE)
    make_device(user, "Charge 6")
    client = app.test_client(user=user)

    shown = client.get("/settings").get_data(as_text=True)
    refused = client.post("/settings", data={"threshold": "99", "quiet_start": "7pm", "time_zone": "Atlantis",
                                             "remind": "on", "remind_at": "late"})

    assert page_language(shown) == language and f"<h1>{heading}</h1>" in shown
    assert english_in_main(shown, language) == []
    assert refused.status_code == 400
    answer = refused.get_data(as_text=True)
    assert error in answer and english_in_main(answer, language) == []


def test_the_language_chosen_in_the_settings_speaks_from_the_next_page_on(app, no_csrf):
    user = make_user(language="en", time_zone=ZONE)
    client = app.test_client(user=user)
    # The choice lists each language in its own name.
    assert re.search(r'<label for="language-fr" lang="fr">Français</label>', client.get("/settings").get_data(as_text=True))

    saved = client.post("/settings", data={"threshold": "20", "zone_source": "platform", "language": "fr"})

    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "fr"
    after = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert page_language(after) == "fr"
    assert "Vos réglages sont enregistrés." in after
    assert page_language(client.get("/dashboard").get_data(as_text=True)) == "fr"


def test_a_language_we_do_not_speak_is_refused_clearly_and_nothing_typed_is_lost(app, no_csrf):
    user = make_user(language="de", time_zone=ZONE, threshold_percent=20)
    client = app.test_client(user=user)

    refused = client.post("/settings", data={"threshold": "35", "quiet_start": "22:00", "quiet_end": "07:00",
                                             "zone_source": "platform", "language": "pt"})

    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Wähle eine der aufgeführten Sprachen." in page
    assert 'href="#language"' in page and 'id="language"' in page
    assert 'value="35"' in page and 'value="22:00"' in page  # what was typed is still there
    assert re.search(r'id="language-de"[^>]*checked', page)  # the account's language stays chosen
    db.session.expire_all()
    assert (db.session.get(User, user.id).language, db.session.get(User, user.id).threshold_percent) == ("de", 20)


def test_a_form_without_the_language_choice_keeps_the_accounts_language(app, no_csrf):
    user = make_user(language="es")
    answer = app.test_client(user=user).post("/settings", data={"threshold": "25", "zone_source": "platform"})
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "es"


def test_places_are_named_in_the_pages_language_and_found_by_that_name(app, no_csrf):
    user = make_user(language="fr", time_zone="Asia/Tokyo", time_zone_from_platform=False)
    client = app.test_client(user=user)

    shown = client.get("/settings").get_data(as_text=True)
    saved = client.post("/settings", data={"threshold": "20", "time_zone": "londres"})

    assert '<option value="Europe/London">Londres, Royaume-Uni</option>' in shown
    assert "United States" not in shown
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).time_zone == "Europe/London"
