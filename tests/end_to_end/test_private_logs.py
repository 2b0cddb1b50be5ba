"""What a real worker logs while it texts: job ids, never a phone number or the words of a text."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import OutgoingMessage
from tests.support.factories import make_user
from tests.support.polling import wait_until

pytestmark = pytest.mark.usefixtures("texts_only_recorded")


def test_a_worker_answering_a_reply_and_texting_a_code_logs_no_number_and_no_text(app, emulator, start_worker,
                                                                                   monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    make_user(phone="+447700900456")
    worker = start_worker()
    # A reply typed on the phone: Vonage posts its number and words, the webhook queues them for the worker.
    emulator.control("POST", "/phone/reply", **{"from": "447700900456", "text": "where is my charger zq"})
    # A code asked for on the phone form: the worker texts it.
    newcomer = app.test_client(user=make_user(phone=None))
    assert newcomer.post("/phone", data={"phone": "07400 765432", "region": "GB"}).status_code == 302
    code_text = db.session.scalars(db.select(OutgoingMessage.body).where(OutgoingMessage.kind == "verification")).one()
    code = re.search(r"\b(\d{6})\b", code_text).group(1)

    wait_until(lambda: emulator.texts_to("+447700900456") and emulator.texts_to("+447400765432"),
               what="the answer to the reply and the code on the phones")

    log = worker.output()
    assert re.search(r"texts: [0-9a-f-]{36}", log), log  # the worker does log each job, by id
    for secret in ("7700900456", "7400765432", "charger", code):
        assert secret not in log, f"{secret!r} in the worker log:\n{log}"
