"""Our credentials are not the user's consent: a platform refusing our client secret texts nobody, changes no
user, shows in /healthz, and everything resumes by itself once the secret works again."""

from __future__ import annotations

from app.extensions import db
from app.models import ConnectionState
from sandbox.config import DEFAULTS
from tests.support.journeys import settled, signed_up_user
from tests.support.polling import wait_until


def health(client) -> tuple[int, dict]:
    answer = client.get("/healthz")
    return answer.status_code, answer.get_json()


def test_a_refused_client_secret_texts_nobody_and_the_held_low_battery_is_texted_once_it_works(
    emulator, sign_in, start_worker, client, live_app
):
    start_worker(REFUSED_RETRY_SECONDS="1")
    person, user, browser = signed_up_user(emulator, sign_in, "google", level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    try:
        # The secret is rotated at Google; our copy is now refused, and every user's token needs a refresh.
        emulator.control("POST", "/settings", GOOGLE_CLIENT_SECRET="rotated-at-google")
        emulator.control("POST", f"/people/{person['id']}/expire-tokens")
        emulator.set_device(person["id"], person["devices"][0]["id"], battery_level=10)
        emulator.sync(person["id"])
        status, checks = wait_until(lambda: (found := health(client))[0] == 503 and found,
                                    seconds=30, what="health to report the refused credentials")
        assert checks["google_credentials"] == "refused"
        db.session.expire_all()
        assert db.session.get(type(user), user.id).connection_state is ConnectionState.CONNECTED
        assert emulator.texts_to(user.phone) == []
        dashboard = browser.get(f"{live_app.url}/dashboard", timeout=10).text
        assert "Reconnect" not in dashboard and "no longer read" not in dashboard
    finally:
        emulator.control("POST", "/settings", GOOGLE_CLIENT_SECRET=DEFAULTS["GOOGLE_CLIENT_SECRET"])
    texts = wait_until(lambda: emulator.texts_to(user.phone), seconds=60, what="the held low-battery text")
    assert [text["text"][:12] for text in texts] == ["Battery low:"]
    assert wait_until(lambda: health(client)[0] == 200, seconds=30, what="health back to 200")
    settled(user, reads=3, emulator=emulator, person=person)
    assert len(emulator.texts_to(user.phone)) == 1
