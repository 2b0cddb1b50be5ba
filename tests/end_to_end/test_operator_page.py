"""The operator page after a real pipeline run on top of seeded rows: each figure is what happened, counted
across the web process and the worker. Who may see it: tests/integration/test_operator_access.py."""

from __future__ import annotations

import pytest

from tests.support.operator import pipeline_run_seen_by_an_operator
from tests.support.pages import tables_of

pytestmark = pytest.mark.usefixtures("texts_only_recorded")


def api_calls(emulator, platform: str) -> int:
    """Calls our app made to the platform's data API (sign-in's own token exchange is Flask-Dance's, not ours)."""
    endpoints = {"identity", "paired_devices", "settings"} if platform == "google" else {"devices", "profile"}
    return len([made for made in emulator.requests_made() if made.get("endpoint") in endpoints])


def test_the_operator_page_shows_the_figures_of_a_pipeline_run(app, emulator, sign_in, start_worker, live_app,
                                                               monkeypatch):
    user, browser = pipeline_run_seen_by_an_operator(app, emulator, sign_in, start_worker(), monkeypatch)

    page = browser.get(live_app.url + "/admin", timeout=10)
    assert page.status_code == 200
    tables, paragraphs = tables_of(page.text)
    assert tables["connections"] == {"connected": ["4"], "needs reconnect": ["1"], "platform retired": ["0"],
                                     "disconnected": ["0"]}
    assert tables["phones"] == {"no number": ["1"], "awaiting its code": ["1"], "opted out (STOP)": ["1"],
                                "not getting through": ["1"], "confirmed": ["1"]}
    # Columns: queued, submitted, delivered, failed, skipped. The seeded failed text is three days old.
    assert tables["texts-1"] == {"low": ["0", "0", "1", "0", "0"], "silent": ["0", "0", "0", "0", "1"]}
    assert tables["texts-2"] == {"low": ["0", "0", "1", "1", "0"], "silent": ["0", "0", "0", "0", "1"]}
    assert tables["reasons-1"] == {"the user replied STOP": ["1"]}
    assert tables["reasons-2"] == {"receipt: failed (err-code 6)": ["1"], "the user replied STOP": ["1"]}
    # Identity from the web process at sign-in, settings and devices from the worker: one tally.
    calls = tables["platform-calls"]["google"]
    assert calls[0] == str(api_calls(emulator, "google")) and set(calls[1:]) == {"0"}
    assert tables["credentials"] == {"fitbit": [tables["credentials"]["fitbit"][0]], "google": ["accepted"],
                                     "vonage": ["not used"]}
    assert tables["credentials"]["fitbit"][0].startswith("refused since")
    assert tables["queues"]["default"][3] == "1"
    assert tables["failed-jobs"] == {"text_the_code": ["RuntimeError", "1"]}
    assert paragraphs["pending-pushes"].startswith("Pushes kept in the database during a Redis outage: 1, the oldest")
    assert "took" in paragraphs["last-sweep"]
    for private in ("7700900", "123456", "never-shown", user.platform_user_id):
        assert private not in page.text.replace(f"google:{user.platform_user_id}", "")
