"""With SENTRY_DSN a failing job reaches Sentry, and the event holds no token, code or phone number."""

from __future__ import annotations

import pytest

from app.extensions import queues
from tests.support.failing_jobs import text_the_code
from tests.support.polling import wait_until
from tests.support.sentry import SentryRecorder

NUMBER = "+447700900999"
CODE = "493817"
TOKEN = "test-access-token-0123456789-abcdefghij"


@pytest.fixture
def sentry():
    with SentryRecorder() as recorder:
        yield recorder


def test_a_failing_job_is_reported_with_no_token_code_or_phone_number_in_the_event(app, start_worker, sentry):
    start_worker(SENTRY_DSN=sentry.dsn)
    job = queues.queue("default").enqueue(text_the_code, NUMBER, CODE, {"access_token": TOKEN})

    event = wait_until(sentry.events, what="the failing job's event at Sentry")[0]
    exception = event["exception"]["values"][-1]
    assert exception["type"] == "RuntimeError"
    assert exception["stacktrace"]["frames"][-1]["function"] == "text_the_code"
    assert event["extra"]["rq-job"]["job_id"] == job.id
    everything_sent = "\n".join(sentry.envelopes)
    for secret in (NUMBER, NUMBER[1:], "7700900999", CODE, TOKEN, "0123456789-abcdefghij"):
        assert secret not in everything_sent, f"{secret!r} reached Sentry"
