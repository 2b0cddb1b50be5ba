"""The operator page in Chromium after a real pipeline run: every figure readable, axe-core content at desktop
and phone width, and the screenshot the README shows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import share_session
from tests.support.operator import pipeline_run_seen_by_an_operator

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("texts_only_recorded")]


def test_the_operator_page_after_a_pipeline_run(page, screenshot, app, emulator, sign_in, start_worker, live_app,
                                                 monkeypatch):
    _, session = pipeline_run_seen_by_an_operator(app, emulator, sign_in, start_worker(), monkeypatch)
    share_session(page, live_app.url, session)

    page.goto(live_app.url + "/admin")
    expect(page.get_by_role("heading", name="Operator", exact=True)).to_be_visible()
    expect(page.locator("#credentials")).to_contain_text("refused since")
    expect(page.locator("#last-sweep")).to_contain_text("took")
    # operator-desktop.png is the README's docs/operator-page.png (copied by hand when the page changes).
    screenshot(page, "operator")
