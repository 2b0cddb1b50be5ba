"""What the Sentry scrubber blanks in an event's strings, and what it leaves, at the edges; no DSN, no Sentry."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.adapters.error_reporting import FILTERED, scrub_text, scrubbed
from tests.support.environment import PRODUCTION
from tests.support.paths import ROOT


@pytest.mark.parametrize("private", [
    "+447700900123", "447700900123", "07700 900123", "+1 415 555 0100", "code 493817 sent",
    "gAAAAABnT0kEn-test-only-ciphertext_0123456789", "test-access-token-0123456789",
])
def test_numbers_codes_and_token_like_strings_are_blanked(private):
    blanked = scrub_text(f"failed: {private}")
    assert blanked.startswith("failed: ") and FILTERED in blanked
    assert not any(char.isdigit() for char in blanked)


@pytest.mark.parametrize("kept", [
    "40d75fd6-fdc2-4b70-ba28-16678c4f705a",  # a job id
    "2026-11-30T14:29:04Z", "line 1552", "12345", "sentry_sdk.integrations.rq", "app.tasks.sync.sync_platform_user",
    "text 42 (low) submitted on attempt 1",
])
def test_job_ids_times_short_numbers_and_dotted_names_are_kept(kept):
    assert scrub_text(kept) == kept


def test_the_deployments_own_secrets_are_blanked_wherever_they_appear():
    assert scrub_text("key=very secret words here", ["very secret words"]) == f"key={FILTERED} here"


def test_code_locations_and_the_events_ids_are_left_alone():
    event = {"event_id": "c052a659a8404c9c86dcb17a2c094829", "contexts": {"trace": {"trace_id": "ab" * 16}},
             "frames": [{"abs_path": "/srv/app/v2026/123456/sync.py", "vars": {"phone": "+447700900123"}}]}
    assert scrubbed(event) == {**event, "frames": [{"abs_path": "/srv/app/v2026/123456/sync.py",
                                                    "vars": {"phone": FILTERED}}]}


def test_without_a_SENTRY_DSN_the_sentry_sdk_is_never_imported():
    probe = ("import sys, json; from app import create_app; create_app(environ=json.loads(sys.argv[1])); "
             "print('sentry_sdk' in sys.modules)")
    environ = {**PRODUCTION, "SENTRY_DSN": ""}
    ran = subprocess.run([sys.executable, "-c", probe, json.dumps(environ)], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert ran.stdout.strip() == "False", ran.stderr
