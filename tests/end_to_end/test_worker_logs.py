"""A worker logs one line per event at LOG_LEVEL, each naming the job it belongs to."""

from __future__ import annotations

import re

from tests.support.journeys import settled, signed_up_user


def test_a_sync_logs_its_line_with_the_job_id(emulator, sign_in, start_worker):
    worker = start_worker(LOG_LEVEL="INFO")
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    log = worker.output()
    assert re.search(rf"^INFO app\.tasks\.sync: user {user.id} synced: 1 devices, 0 texts \[job=[\w-]+\]$", log,
                     re.MULTILINE), log


def test_at_LOG_LEVEL_WARNING_a_quiet_sync_logs_nothing(emulator, sign_in, start_worker):
    worker = start_worker(LOG_LEVEL="WARNING")
    person, user, _ = signed_up_user(emulator, sign_in, "google", level=80)
    settled(user, reads=1, emulator=emulator, person=person)
    assert "INFO" not in worker.output() and "synced" not in worker.output()
